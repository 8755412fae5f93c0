#include <doctest/doctest.h>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "base/error.h"

using namespace heatmark;

namespace {
Tensor param(std::vector<float> values, Shape shape, const char* name) {
  Tensor t = Tensor::from_vector(values, shape);
  t.set_name(name).set_requires_grad(true);
  return t;
}
}  // namespace

TEST_CASE("autograd: leaf gradients are correct and accumulate across backward calls") {
  Tensor a = param({1, 2, 3}, {3}, "a");
  Tensor b = param({4, 5, 6}, {3}, "b");
  sum(mul(a, b)).backward();
  CHECK(a.grad().to_vector() == std::vector<float>{4, 5, 6});
  CHECK(b.grad().to_vector() == std::vector<float>{1, 2, 3});
  sum(mul(a, b)).backward();  // a second, independent graph
  CHECK(a.grad().to_vector() == std::vector<float>{8, 10, 12});
  a.zero_grad();
  CHECK_FALSE(a.grad().defined());
}

TEST_CASE("autograd: a tensor used twice gets the sum of both paths") {
  Tensor x = param({1, -2, 3}, {3}, "x");
  // y = sum(x*x + 3x) -> dy/dx = 2x + 3
  Tensor y = sum(add(mul(x, x), scale(x, 3.0f)));
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<float>{5, -1, 9});
}

TEST_CASE("autograd: the graph records only what needs grad") {
  Tensor c = Tensor::from_vector({1, 2}, {2});
  Tensor p = param({3, 4}, {2}, "p");
  CHECK_FALSE(add(c, c).requires_grad());
  Tensor y = add(c, p);
  CHECK(y.requires_grad());
  CHECK_FALSE(y.is_leaf());
  CHECK(y.grad_fn()->name == "AddBackward");
}

TEST_CASE("autograd: NoGrad records nothing and restores the mode") {
  Tensor p = param({1, 2}, {2}, "p");
  {
    NoGrad guard;
    CHECK_FALSE(grad_enabled());
    Tensor y = mul(p, p);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(grad_enabled());
  CHECK(mul(p, p).requires_grad());
}

TEST_CASE("autograd: the graph is released after backward, and a second backward is a clear error") {
  Tensor p = param({1, 2, 3}, {3}, "p");
  Tensor y = sum(relu(mul(p, p)));
  y.backward();
  CHECK(y.grad_fn()->released);
  CHECK_FALSE(static_cast<bool>(y.grad_fn()->backward));  // saved tensors freed
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("already released"), Error);

  Tensor z = sum(mul(p, p));
  p.zero_grad();
  z.backward(/*retain_graph=*/true);
  z.backward();
  CHECK(p.grad().to_vector() == std::vector<float>{4, 8, 12});
}

TEST_CASE("autograd: backward from a non-scalar needs a seed gradient") {
  Tensor p = param({1, 2, 3, 4}, {2, 2}, "p");
  Tensor y = mul(p, p);
  y.set_name("squares");
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("'squares' has shape (2, 2)"), Error);
  CHECK_THROWS_WITH_AS(y.backward(Tensor::ones({4})), doctest::Contains("seed gradient has shape (4)"), Error);
  y.backward(Tensor::from_vector({1, 0, 0, 1}, {2, 2}));
  CHECK(p.grad().to_vector() == std::vector<float>{2, 0, 0, 8});
  CHECK_THROWS_WITH_AS(Tensor::ones({1}).backward(), doctest::Contains("does not require grad"), Error);
}

TEST_CASE("autograd: reshape and narrow views carry gradients back") {
  Tensor p = param({1, 2, 3, 4, 5, 6}, {3, 2}, "p");
  Tensor rows = p.narrow(1, 2);                // rows 1 and 2
  Tensor flat = rows.reshape({-1});            // 4 values
  sum(mul(flat, Tensor::from_vector({1, 2, 3, 4}, {4}))).backward();
  CHECK(p.grad().to_vector() == std::vector<float>{0, 0, 1, 2, 3, 4});
}

TEST_CASE("autograd: a deep chain backpropagates without recursion limits") {
  Tensor p = param({1.0f}, {1}, "p");
  Tensor y = p;
  for (int i = 0; i < 20000; ++i) y = scale(y, 1.0f);
  sum(y).backward();
  CHECK(p.grad().item() == 1.0f);
}

TEST_CASE("autograd: set_requires_grad(false) is refused on a non-leaf") {
  Tensor p = param({1}, {1}, "p");
  Tensor y = mul(p, p);
  CHECK_THROWS_WITH_AS(y.set_requires_grad(false), doctest::Contains("use detach()"), Error);
  CHECK_FALSE(y.detach().requires_grad());
}
