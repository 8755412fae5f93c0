// What the convolutions compute, checked on hand-worked values: conv2d is a
// cross-correlation (as in PyTorch), and conv_transpose2d is its adjoint with
// PyTorch's (C_in, C_out, kH, kW) weights.
#include <doctest/doctest.h>

#include "autograd/ops.h"
#include "tensor/random.h"

using namespace heatmark;

namespace {
const Device kDevices[] = {Device::cpu(), Device::emu()};

double dot(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector(), y = b.to_vector();
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += double(x[i]) * y[i];
  return s;
}
}  // namespace

TEST_CASE("conv semantics: conv2d is a cross-correlation, the kernel is not flipped") {
  for (Device d : kDevices) {
    INFO("device ", d.str());
    // x = [[1, 2], [3, 4]], kernel [[0, 1], [0, 0]] picks the top-right tap.
    const Tensor x = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}).to(d);
    const Tensor w = Tensor::from_vector({0, 1, 0, 0}, {1, 1, 2, 2}).to(d);
    CHECK(conv2d(x, w, Tensor(), 1, 0).to_vector() == std::vector<float>{2});
    // With padding 1 the output is 3x3: y[i][j] = x[i-1][j].
    CHECK(conv2d(x, w, Tensor(), 1, 1).to_vector() == std::vector<float>{0, 0, 0, 1, 2, 0, 3, 4, 0});
  }
}

TEST_CASE("conv semantics: conv_transpose2d follows PyTorch, each input pixel stamps its weights at stride s") {
  for (Device d : kDevices) {
    INFO("device ", d.str());
    // x (1, 1, 2, 2) = [[1, 2], [3, 4]], weight (1 in, 1 out, 2, 2) = [[1, 10], [100, 1000]],
    // stride 2, padding 0: y (4x4) tiles x[i][j] * w into block (i, j).
    const Tensor x = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}).to(d);
    const Tensor w = Tensor::from_vector({1, 10, 100, 1000}, {1, 1, 2, 2}).to(d);
    CHECK(conv_transpose2d(x, w, Tensor(), 2, 0).to_vector() ==
          std::vector<float>{1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000});
    // Padding 1 crops one pixel from each border of the stride-1 result (3x3 -> 1x1 here).
    const Tensor x1 = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}).to(d);
    const Tensor ones = Tensor::ones({1, 1, 2, 2}, d);
    CHECK(conv_transpose2d(x1, ones, Tensor(), 1, 1).to_vector() == std::vector<float>{10});
    // Output size: (H - 1) * stride - 2 * padding + kernel (+ output padding).
    CHECK(conv_transpose2d(Tensor::ones({1, 1, 5, 7}, d), Tensor::ones({1, 1, 4, 4}, d), Tensor(), 2, 1).shape() ==
          Shape{1, 1, 10, 14});
    CHECK(conv_transpose2d(Tensor::ones({1, 1, 5, 7}, d), Tensor::ones({1, 1, 3, 3}, d), Tensor(), 2, 1, 1).shape() ==
          Shape{1, 1, 10, 14});
  }
}

TEST_CASE("conv semantics: conv_transpose2d is the adjoint of conv2d, <conv(x), y> = <x, conv_transpose(y)>") {
  for (Device d : kDevices) {
    INFO("device ", d.str());
    Generator gen(9);
    for (const std::tuple<int, int, int>& shape :
         {std::tuple{3, 2, 1}, std::tuple{4, 2, 1}, std::tuple{3, 1, 1}, std::tuple{5, 3, 2}}) {
      const int k = std::get<0>(shape), stride = std::get<1>(shape), pad = std::get<2>(shape);  // INFO captures them
      Tensor x = Tensor::empty({2, 3, 11, 11}), w = Tensor::empty({4, 3, k, k});
      uniform_(x, gen, -1, 1);
      uniform_(w, gen, -1, 1);
      const Tensor cx = conv2d(x.to(d), w.to(d), Tensor(), stride, pad);
      Tensor y = Tensor::empty(cx.shape());
      uniform_(y, gen, -1, 1);
      // The weight (C_out=4, C_in=3, k, k) of the conv is read as (C_in=4, C_out=3, k, k) by the transpose.
      const int output_pad = static_cast<int>((11 + 2 * pad - k) % stride);  // recovers the exact input size
      const Tensor ty = conv_transpose2d(y.to(d), w.to(d), Tensor(), stride, pad, output_pad);
      INFO("k ", k, " stride ", stride, " pad ", pad);
      REQUIRE(ty.shape() == x.shape());
      CHECK(dot(cx, y) == doctest::Approx(dot(x, ty)).epsilon(1e-5));
    }
  }
}
