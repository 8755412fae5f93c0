// The optimizers (layers/optimizer.h) on top of the kernels.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"
#include "layers/conv_transpose2d.h"
#include "layers/optimizer.h"

using namespace heatmark;

namespace {

// conv -> bn -> relu -> deconv (x2), fit to a teacher of the same shape.
struct SmallNet : Module {
  Conv2d conv;
  BatchNorm2d bn;
  ConvTranspose2d up;
  SmallNet(Generator& gen) : conv({2, 4, 3}, gen), bn(4), up({4, 2, 4, 2, 1}, gen) {
    register_module("conv", &conv);
    register_module("bn", &bn);
    register_module("up", &up);
  }
  Tensor forward(const Tensor& x) { return up.forward(relu(bn.forward(conv.forward(x)))); }
};

// Trains a SmallNet on `device` for `steps` and returns the first and last loss.
template <typename MakeOptimizer>
std::pair<float, float> fit(Device device, int steps, MakeOptimizer make) {
  Generator gen(11), teacher_gen(12);
  SmallNet net(gen), teacher(teacher_gen);
  Tensor x = Tensor::empty({2, 2, 6, 6});
  uniform_(x, gen, -1, 1);
  const Tensor target = teacher.forward(x).detach().to(device);
  net.to(device);
  x = x.to(device);
  auto optimizer = make(net.parameters());
  auto loss_fn = [&] {
    Tensor diff = add(net.forward(x), scale(target, -1.0f));
    return mean(mul(diff, diff));
  };
  const float first = loss_fn().item();
  for (int s = 0; s < steps; ++s) {
    optimizer->zero_grad();
    loss_fn().backward();
    optimizer->step();
  }
  return {first, loss_fn().item()};
}

}  // namespace

TEST_CASE("optimizers: Adam, AdamW and SGD fit a small conv/deconv network, on the CPU and emulated") {
  for (Device d : {Device::cpu(), Device::emu()}) {
    INFO("device ", d.str());
    const auto adam = fit(d, 150, [](auto params) { return std::make_unique<Adam>(params, AdamOptions{.lr = 0.02f}); });
    CHECK(adam.second < 0.1f * adam.first);
    const auto adamw = fit(d, 150, [](auto params) { return std::make_unique<Adam>(params, adamw_options(0.02f, 0.01f)); });
    CHECK(adamw.second < 0.1f * adamw.first);
    const auto sgd = fit(d, 60, [](auto params) { return std::make_unique<Sgd>(params, SgdOptions{.lr = 0.05f}); });
    CHECK(sgd.second < 0.3f * sgd.first);
  }
}

TEST_CASE("optimizers: the same run is bitwise identical on the emulator and repeatable on the CPU") {
  auto run = [](Device d) {
    return fit(d, 5, [](auto params) { return std::make_unique<Adam>(params, AdamOptions{.lr = 0.02f, .max_grad_norm = 0.5f}); });
  };
  CHECK(run(Device::cpu()) == run(Device::cpu()));
  CHECK(run(Device::emu()) == run(Device::emu()));
}

TEST_CASE("optimizers: gradient clipping bounds the update and reports the norm before clipping") {
  for (Device d : {Device::cpu(), Device::emu()}) {
    Tensor p = Tensor::from_vector({1, 2, 3}, {3}).to(d);
    p.set_requires_grad(true);
    Sgd sgd({&p}, SgdOptions{.lr = 1.0f, .momentum = 0.0f, .max_grad_norm = 0.5f});
    sum(scale(mul(p, p), 5.0f)).backward();  // gradient 10 p = (10, 20, 30), norm 37.42
    sgd.step();
    CHECK(sgd.last_grad_norm() == doctest::Approx(std::sqrt(1400.0)).epsilon(1e-5));
    const std::vector<float> after = p.to_vector();
    double moved = 0;
    for (int i = 0; i < 3; ++i) moved += (after[i] - (i + 1.0)) * (after[i] - (i + 1.0));
    CHECK(std::sqrt(moved) == doctest::Approx(0.5).epsilon(1e-4));  // lr 1 times the clipped norm
  }
}

TEST_CASE("optimizers: AdamW decays weights directly, and Adam's L2 decay goes through the moments") {
  Tensor a = Tensor::full({1}, 2.0f), b = Tensor::full({1}, 2.0f);
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  Adam adam({&a}, AdamOptions{.lr = 0.1f, .weight_decay = 0.5f});
  Adam adamw({&b}, adamw_options(0.1f, 0.5f));
  for (Tensor* t : {&a, &b}) sum(scale(*t, 0.0f)).backward();  // zero loss gradient: only the decay acts
  adam.step();
  adamw.step();
  // Adam: the decay term 0.5*2 = 1 becomes the gradient; its normalised step is lr * 1.
  CHECK(a.item() == doctest::Approx(2.0f - 0.1f).epsilon(1e-5));
  // AdamW: p -= lr * wd * p, and the zero gradient adds no step.
  CHECK(b.item() == doctest::Approx(2.0f - 0.1f * 0.5f * 2.0f).epsilon(1e-5));
}
