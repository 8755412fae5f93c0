// The op profiler behind `heatmark bench train`, the conv trace behind
// `heatmark bench ops --model`, and the measured FMA peak.
#include <doctest/doctest.h>

#include <string>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "hrnet/hrnet.h"
#include "tensor/cpu/peak.h"
#include "tensor/profiler.h"
#include "tensor/random.h"

using namespace heatmark;

namespace {
int64_t calls(const profiler::Totals& t, profiler::OpKind kind) { return t.calls[static_cast<int>(kind)]; }
double ms(const profiler::Totals& t, profiler::OpKind kind) { return t.milliseconds[static_cast<int>(kind)]; }
}  // namespace

TEST_CASE("profiler: ops are counted by kind only while timing is on, nested ops once") {
  Generator gen(3);
  Tensor x = Tensor::empty({1, 4, 16, 16}), w = Tensor::empty({8, 4, 3, 3});
  normal_(x, gen);
  normal_(w, gen);
  w.set_requires_grad(true);

  profiler::reset();
  conv2d(x, w, Tensor(), 1, 1);  // timing off: nothing recorded
  CHECK(calls(profiler::totals(), profiler::OpKind::ConvForward) == 0);

  profiler::set_timing(true);
  const Tensor y = relu(conv2d(x, w, Tensor(), 1, 1));
  mean(y).backward();  // mean is built on another dispatched op: counted once
  profiler::set_timing(false);
  const profiler::Totals t = profiler::totals();
  CHECK(calls(t, profiler::OpKind::ConvForward) == 1);
  CHECK(calls(t, profiler::OpKind::ConvBackward) == 1);  // the weight gradient only: x needs none
  CHECK(calls(t, profiler::OpKind::Elementwise) >= 2);  // ReLU forward and backward
  CHECK(calls(t, profiler::OpKind::Other) == 2);         // mean, and its backward (broadcast)
  CHECK(calls(t, profiler::OpKind::BatchNorm) == 0);
  CHECK(ms(t, profiler::OpKind::ConvForward) > 0);
  profiler::reset();
  CHECK(calls(profiler::totals(), profiler::OpKind::ConvForward) == 0);
}

TEST_CASE("profiler: the conv trace lists a model's conv layers from one forward pass") {
  HRNetConfig c = hrnet_preset("hrnet_w18_small");
  c.input_size = 64;
  HRNet model(c);
  model.eval();
  std::vector<Conv2dShape> shapes;
  {
    NoGrad no_grad;
    profiler::set_conv_trace(&shapes);
    model.forward(Tensor::zeros({1, c.in_channels, 64, 64}));
    profiler::set_conv_trace(nullptr);
  }
  model.forward(Tensor::zeros({1, c.in_channels, 64, 64}));  // not traced
  REQUIRE(shapes.size() > 20);
  // The stem: 3x3 stride 2 from the input, then 3x3 stride 2 to 64 channels.
  CHECK(shapes[0].C_in == c.in_channels);
  CHECK(shapes[0].H == 64);
  CHECK(shapes[0].stride == 2);
  CHECK(shapes[1].C_out == 64);
  CHECK(shapes[1].OH == 16);
  // The head's 1x1 conv to the landmarks comes last.
  CHECK(shapes.back().C_out == c.num_landmarks);
  CHECK(shapes.back().kH == 1);
}

TEST_CASE("profiler: the measured FMA peak is a plausible figure") {
  const cpu::FmaPeak one = cpu::measure_fma_peak(1);
  CHECK(one.threads == 1);
  // The instruction set it used is the one the CPU has.
  CHECK(std::string(one.isa) == (__builtin_cpu_supports("avx512f") ? "AVX-512" : "AVX2"));
  // No lower bound (a loaded or sanitized machine may be arbitrarily slow);
  // the upper one catches a miscounted loop: 16 lanes x 2 flops x 2 pipes at 6 GHz.
  CHECK(one.gflops > 0);
  CHECK(one.gflops < 384);
}
