#include <doctest/doctest.h>

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"
#include "layers/conv_transpose2d.h"

using namespace heatmark;

namespace {
struct ConvBnRelu : Module {
  Conv2d conv;
  BatchNorm2d bn;
  ConvBnRelu(int64_t in, int64_t out, Generator& gen) : conv({in, out, 3, 1, -1, false}, gen), bn(out) {
    register_module("conv", &conv);
    register_module("bn", &bn);
  }
  Tensor forward(const Tensor& x) { return relu(bn.forward(conv.forward(x))); }
};
}  // namespace

TEST_CASE("layers: parameters and buffers have hierarchical names and counts") {
  Generator gen(1);
  ConvBnRelu block(3, 8, gen);
  std::vector<std::string> names;
  for (auto& [name, t] : block.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"conv.weight", "bn.weight", "bn.bias"});
  CHECK(block.parameter_count() == 8 * 3 * 9 + 8 + 8);
  std::vector<std::string> buffers;
  for (auto& [name, t] : block.named_buffers()) buffers.push_back(name);
  CHECK(buffers == std::vector<std::string>{"bn.running_mean", "bn.running_var"});
  for (Tensor* p : block.parameters()) CHECK(p->requires_grad());
}

TEST_CASE("layers: batch norm running statistics follow the PyTorch convention") {
  BatchNorm2d bn(1);
  // One channel, values 1..4: mean 2.5, biased var 1.25, unbiased var 5/3.
  Tensor x = Tensor::from_vector({1, 2, 3, 4}, {2, 1, 1, 2});
  bn.forward(x);
  CHECK(bn.running_mean.item() == doctest::Approx(0.1 * 2.5));
  CHECK(bn.running_var.item() == doctest::Approx(0.9 * 1.0 + 0.1 * 5.0 / 3.0));
  bn.eval();
  Tensor y = bn.forward(x);  // eval uses the running statistics
  const float invstd = 1.0f / std::sqrt(bn.running_var.item() + 1e-5f);
  CHECK(y.to_vector()[0] == doctest::Approx((1 - bn.running_mean.item()) * invstd));
  CHECK(bn.running_mean.item() == doctest::Approx(0.25));  // unchanged in eval
}

TEST_CASE("layers: gradient steps on a conv-bn-relu block fit a teacher block") {
  Generator gen(3), teacher_gen(4);
  ConvBnRelu block(2, 4, gen), teacher(2, 4, teacher_gen);
  Tensor x = Tensor::empty({2, 2, 8, 8});
  uniform_(x, gen, -1, 1);
  const Tensor target = teacher.forward(x).detach();
  auto loss_fn = [&] {
    Tensor diff = add(block.forward(x), scale(target, -1.0f));
    return mean(mul(diff, diff));
  };
  const float first = loss_fn().item();
  for (int step = 0; step < 100; ++step) {
    block.zero_grad();
    loss_fn().backward();
    NoGrad no_grad;
    for (Tensor* p : block.parameters()) {
      Tensor updated = add(*p, scale(p->grad(), -0.5f));
      p->copy_from(updated);
    }
  }
  CHECK(loss_fn().item() < 0.1f * first);
}

TEST_CASE("layers: ConvTranspose2d with kernel 4, stride 2, padding 1 doubles the resolution") {
  Generator gen(1);
  ConvTranspose2d up({3, 5}, gen);
  const Tensor y = up.forward(Tensor::ones({2, 3, 7, 9}));
  CHECK(y.shape() == Shape{2, 5, 14, 18});
  CHECK(up.parameter_count() == 3 * 5 * 16 + 5);
}
