// The registry of every op the harness tests: shapes, parameters, the double
// CPU reference (tensor/cpu/) and the op under test (autograd/ops.h).
//
// Shapes are small and deliberately odd (7x9 images, 17 channels, a 181x181
// image whose lowering blocks split rows) so that edge handling is exercised.
#include <cmath>

#include "autograd/ops.h"
#include "tensor/cpu/batchnorm.h"
#include "tensor/cpu/concat.h"
#include "tensor/cpu/conv2d.h"
#include "tensor/cpu/elementwise.h"
#include "tensor/cpu/matmul.h"
#include "tensor/cpu/reduce.h"
#include "tensor/cpu/upsample.h"
#include "tests/harness/op_harness.h"

namespace heatmark::harness {

namespace {

using Inputs = std::vector<DoubleVector>;
using Grads = std::vector<DoubleVector>;

// ---- elementwise --------------------------------------------------------------

template <typename MakeCase>
OpFamily elementwise_family(const std::string& op, MakeCase make) {
  OpFamily f{op, {}, {}};
  for (Shape s : {Shape{2, 3, 5, 7}, Shape{1, 1, 1, 1}, Shape{3, 17}}) f.cases.push_back(make(s));
  f.perf_cases.push_back(make(Shape{4, 32, 64, 64}));
  return f;
}

OpCase add_case(const Shape& s) {
  OpCase c;
  c.op = "add";
  c.inputs = {{"a", s}, {"b", s}};
  c.reference = [](const Inputs& in) {
    DoubleVector y(in[0].size());
    cpu::add_forward(in[0].data(), in[1].data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
  };
  c.reference_backward = [](const Inputs&, const DoubleVector& g) { return Grads{g, g}; };
  c.run = [](const std::vector<Tensor>& t) { return add(t[0], t[1]); };
  c.flops = static_cast<double>(s.numel());
  return c;
}

OpCase mul_case(const Shape& s) {
  OpCase c;
  c.op = "mul";
  c.inputs = {{"a", s}, {"b", s}};
  c.reference = [](const Inputs& in) {
    DoubleVector y(in[0].size());
    cpu::mul_forward(in[0].data(), in[1].data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
  };
  c.reference_backward = [](const Inputs& in, const DoubleVector& g) {
    Grads grads{DoubleVector(g.size()), DoubleVector(g.size())};
    cpu::mul_backward(in[0].data(), in[1].data(), g.data(), grads[0].data(), grads[1].data(),
                      static_cast<int64_t>(g.size()));
    return grads;
  };
  c.run = [](const std::vector<Tensor>& t) { return mul(t[0], t[1]); };
  c.flops = static_cast<double>(s.numel());
  return c;
}

OpCase scale_case(const Shape& s) {
  const double alpha = -2.375;
  OpCase c;
  c.op = "scale";
  c.params = "alpha -2.375";
  c.inputs = {{"x", s}};
  c.reference = [alpha](const Inputs& in) {
    DoubleVector y(in[0].size());
    cpu::scale_forward(in[0].data(), alpha, y.data(), static_cast<int64_t>(y.size()));
    return y;
  };
  c.reference_backward = [alpha](const Inputs&, const DoubleVector& g) {
    DoubleVector gx(g.size());
    cpu::scale_forward(g.data(), alpha, gx.data(), static_cast<int64_t>(g.size()));
    return Grads{gx};
  };
  c.run = [alpha](const std::vector<Tensor>& t) { return scale(t[0], static_cast<float>(alpha)); };
  c.flops = static_cast<double>(s.numel());
  return c;
}

OpCase relu_case(const Shape& s) {
  OpCase c;
  c.op = "relu";
  c.inputs = {{"x", s, true, Init::AwayFromZero}};
  c.reference = [](const Inputs& in) {
    DoubleVector y(in[0].size());
    cpu::relu_forward(in[0].data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
  };
  c.reference_backward = [](const Inputs& in, const DoubleVector& g) {
    DoubleVector y(g.size()), gx(g.size());
    cpu::relu_forward(in[0].data(), y.data(), static_cast<int64_t>(y.size()));
    cpu::relu_backward(y.data(), g.data(), gx.data(), static_cast<int64_t>(g.size()));
    return Grads{gx};
  };
  c.run = [](const std::vector<Tensor>& t) { return relu(t[0]); };
  c.flops = static_cast<double>(s.numel());
  return c;
}

// ---- reductions -----------------------------------------------------------------

OpCase reduce_case(const Shape& s, bool is_mean) {
  OpCase c;
  c.op = is_mean ? "mean" : "sum";
  c.inputs = {{"x", s}};
  const double n = static_cast<double>(s.numel());
  c.reference = [is_mean](const Inputs& in) {
    const int64_t count = static_cast<int64_t>(in[0].size());
    return DoubleVector{is_mean ? cpu::mean_all(in[0].data(), count) : cpu::sum_all(in[0].data(), count)};
  };
  c.reference_backward = [is_mean, n](const Inputs& in, const DoubleVector& g) {
    DoubleVector gx(in[0].size());
    cpu::fill(gx.data(), is_mean ? g[0] / n : g[0], static_cast<int64_t>(gx.size()));
    return Grads{gx};
  };
  c.run = [is_mean](const std::vector<Tensor>& t) { return is_mean ? mean(t[0]) : sum(t[0]); };
  c.flops = n;
  return c;
}

OpFamily reduce_family(bool is_mean) {
  OpFamily f{is_mean ? "mean" : "sum", {}, {}};
  for (Shape s : {Shape{2, 3, 5, 7}, Shape{13}, Shape{1}, Shape{3, 4100}}) f.cases.push_back(reduce_case(s, is_mean));
  f.perf_cases.push_back(reduce_case(Shape{4, 32, 64, 64}, is_mean));
  return f;
}

// ---- matmul -----------------------------------------------------------------------

OpCase matmul_case(int64_t M, int64_t K, int64_t N) {
  OpCase c;
  c.op = "matmul";
  c.inputs = {{"a", Shape{M, K}}, {"b", Shape{K, N}}};
  c.reference = [=](const Inputs& in) {
    DoubleVector y(M * N);
    cpu::matmul_forward(in[0].data(), in[1].data(), y.data(), M, K, N);
    return y;
  };
  c.reference_backward = [=](const Inputs& in, const DoubleVector& g) {
    Grads grads{DoubleVector(M * K), DoubleVector(K * N)};
    cpu::matmul_backward(in[0].data(), in[1].data(), g.data(), grads[0].data(), grads[1].data(), M, K, N);
    return grads;
  };
  c.run = [](const std::vector<Tensor>& t) { return matmul(t[0], t[1]); };
  c.flops = 2.0 * M * K * N;
  return c;
}

OpFamily matmul_family() {
  OpFamily f{"matmul", {}, {}};
  f.cases = {matmul_case(5, 7, 3), matmul_case(1, 1, 1), matmul_case(17, 33, 9), matmul_case(130, 20, 6)};
  f.perf_cases = {matmul_case(512, 512, 512)};
  return f;
}

// ---- conv2d -----------------------------------------------------------------------

OpCase conv2d_case(int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t k, int stride, int pad,
                   bool bias) {
  const Conv2dShape s = Conv2dShape::make(N, C_in, H, W, C_out, k, k, stride, pad);
  OpCase c;
  c.op = "conv2d";
  c.params = "k" + std::to_string(k) + " s" + std::to_string(stride) + " p" + std::to_string(pad) +
             (bias ? " bias" : "");
  c.inputs = {{"x", Shape{N, C_in, H, W}}, {"weight", Shape{C_out, C_in, k, k}}};
  if (bias) c.inputs.push_back({"bias", Shape{C_out}});
  c.reference = [s, bias](const Inputs& in) {
    DoubleVector y(s.N * s.C_out * s.OH * s.OW);
    cpu::conv2d_forward(s, in[0].data(), in[1].data(), bias ? in[2].data() : nullptr, y.data());
    return y;
  };
  c.reference_backward = [s, bias](const Inputs& in, const DoubleVector& g) {
    Grads grads{DoubleVector(in[0].size()), DoubleVector(in[1].size(), 0.0)};
    cpu::conv2d_backward_data(s, g.data(), in[1].data(), grads[0].data());
    cpu::conv2d_backward_weight(s, in[0].data(), g.data(), grads[1].data());
    if (bias) {
      grads.push_back(DoubleVector(s.C_out, 0.0));
      cpu::conv2d_backward_bias(s, g.data(), grads[2].data());
    }
    return grads;
  };
  c.run = [stride, pad](const std::vector<Tensor>& t) {
    return conv2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), stride, pad);
  };
  c.flops = s.flops();
  return c;
}

OpFamily conv2d_family() {
  OpFamily f{"conv2d", {}, {}};
  f.cases = {
      conv2d_case(2, 3, 7, 9, 5, 3, 1, 1, true),     // 3x3 same padding, odd image
      conv2d_case(2, 3, 7, 9, 5, 3, 2, 1, true),     // stride 2 on odd sizes
      conv2d_case(1, 4, 6, 6, 6, 1, 1, 0, true),     // pointwise: no lowering
      conv2d_case(2, 17, 5, 4, 7, 1, 1, 0, false),   // pointwise, channels off the block sizes
      conv2d_case(1, 2, 9, 9, 3, 5, 1, 2, true),     // 5x5
      conv2d_case(3, 3, 5, 5, 4, 3, 2, 0, false),    // no padding, stride 2
      conv2d_case(1, 17, 6, 5, 70, 3, 1, 1, true),   // two output-channel blocks, 17 input channels
      conv2d_case(1, 1, 181, 181, 2, 3, 1, 1, true), // lowering blocks that split image rows
      conv2d_case(1, 1, 181, 181, 2, 3, 2, 1, false),
  };
  f.gpu_kernels = false;
  f.perf_cases = {
      conv2d_case(1, 32, 64, 64, 32, 3, 1, 1, false),
      conv2d_case(1, 64, 128, 128, 64, 3, 2, 1, false),
      conv2d_case(1, 256, 16, 16, 256, 3, 1, 1, false),
      conv2d_case(1, 64, 64, 64, 256, 1, 1, 0, false),
  };
  return f;
}

// ---- batchnorm2d ------------------------------------------------------------------

constexpr double kMomentum = 0.1, kEps = 1e-5;

OpCase batchnorm_case(const Shape& x, bool training) {
  const BatchNormShape s{x[0], x[1], x[2] * x[3]};
  const Shape channels{x[1]};
  OpCase c;
  c.op = training ? "batchnorm2d_train" : "batchnorm2d_eval";
  c.inputs = {{"x", x},
              {"gamma", channels, true, Init::Positive},
              {"beta", channels},
              {"running_mean", channels, false},
              {"running_var", channels, false, Init::Positive}};
  c.reference = [s, training](const Inputs& in) {
    DoubleVector y(in[0].size()), mean(s.C), invstd(s.C);
    if (training)
      cpu::batchnorm_forward_train<double>(s, in[0].data(), in[1].data(), in[2].data(), y.data(), mean.data(),
                                           invstd.data(), nullptr, nullptr, kMomentum, kEps);
    else
      cpu::batchnorm_forward_eval(s, in[0].data(), in[1].data(), in[2].data(), in[3].data(), in[4].data(), kEps,
                                  y.data());
    return y;
  };
  c.reference_backward = [s, training](const Inputs& in, const DoubleVector& g) {
    Grads grads{DoubleVector(in[0].size()), DoubleVector(s.C, 0.0), DoubleVector(s.C, 0.0), {}, {}};
    if (training) {
      DoubleVector y(in[0].size()), mean(s.C), invstd(s.C);
      cpu::batchnorm_forward_train<double>(s, in[0].data(), in[1].data(), in[2].data(), y.data(), mean.data(),
                                           invstd.data(), nullptr, nullptr, kMomentum, kEps);
      cpu::batchnorm_backward_train(s, in[0].data(), in[1].data(), mean.data(), invstd.data(), g.data(),
                                    grads[0].data(), grads[1].data(), grads[2].data());
    } else {
      cpu::batchnorm_backward_eval(s, in[0].data(), in[1].data(), in[3].data(), in[4].data(), kEps, g.data(),
                                   grads[0].data(), grads[1].data(), grads[2].data());
    }
    return grads;
  };
  c.run = [training](const std::vector<Tensor>& t) {
    Tensor running_mean = t[3], running_var = t[4];
    return batch_norm2d(t[0], t[1], t[2], running_mean, running_var, training, static_cast<float>(kMomentum),
                        static_cast<float>(kEps));
  };
  c.flops = 8.0 * static_cast<double>(x.numel());
  // The normalisation divides by a batch standard deviation, which amplifies
  // float rounding for small channels.
  c.forward_tolerance = 1e-9;
  c.backward_tolerance = 1e-8;
  return c;
}

OpFamily batchnorm_family(bool training) {
  OpFamily f{training ? "batchnorm2d_train" : "batchnorm2d_eval", {}, {}};
  f.gpu_kernels = false;
  for (Shape s : {Shape{2, 3, 5, 7}, Shape{1, 4, 3, 3}, Shape{4, 2, 1, 1}, Shape{3, 5, 2, 3}})
    f.cases.push_back(batchnorm_case(s, training));
  f.perf_cases.push_back(batchnorm_case(Shape{4, 32, 64, 64}, training));
  return f;
}

// ---- upsampling ---------------------------------------------------------------------

OpCase upsample_nearest_case(const Shape& x, int factor) {
  const UpsampleShape s{x[0], x[1], x[2], x[3], x[2] * factor, x[3] * factor};
  OpCase c;
  c.op = "upsample_nearest";
  c.params = "x" + std::to_string(factor);
  c.inputs = {{"x", x}};
  c.reference = [s](const Inputs& in) {
    DoubleVector y(s.N * s.C * s.OH * s.OW);
    cpu::upsample_nearest_forward(s, in[0].data(), y.data());
    return y;
  };
  c.reference_backward = [s](const Inputs& in, const DoubleVector& g) {
    DoubleVector gx(in[0].size());
    cpu::upsample_nearest_backward(s, g.data(), gx.data());
    return Grads{gx};
  };
  c.run = [factor](const std::vector<Tensor>& t) { return upsample_nearest(t[0], factor); };
  c.flops = static_cast<double>(s.N * s.C * s.OH * s.OW);
  return c;
}

OpFamily upsample_nearest_family() {
  OpFamily f{"upsample_nearest", {}, {}};
  f.cases = {upsample_nearest_case({2, 3, 4, 5}, 2), upsample_nearest_case({1, 2, 3, 3}, 4),
             upsample_nearest_case({1, 3, 5, 2}, 8), upsample_nearest_case({2, 2, 3, 3}, 1)};
  f.perf_cases = {upsample_nearest_case({1, 64, 32, 32}, 2)};
  return f;
}

OpCase upsample_bilinear_case(const Shape& x, int64_t out_h, int64_t out_w) {
  const UpsampleShape s{x[0], x[1], x[2], x[3], out_h, out_w};
  OpCase c;
  c.op = "upsample_bilinear";
  c.params = "to " + std::to_string(out_h) + "x" + std::to_string(out_w);
  c.inputs = {{"x", x}};
  c.reference = [s](const Inputs& in) {
    DoubleVector y(s.N * s.C * s.OH * s.OW);
    cpu::upsample_bilinear_forward(s, in[0].data(), y.data());
    return y;
  };
  c.reference_backward = [s](const Inputs& in, const DoubleVector& g) {
    DoubleVector gx(in[0].size());
    cpu::upsample_bilinear_backward(s, g.data(), gx.data());
    return Grads{gx};
  };
  c.run = [out_h, out_w](const std::vector<Tensor>& t) { return upsample_bilinear(t[0], out_h, out_w); };
  c.flops = 8.0 * static_cast<double>(s.N * s.C * s.OH * s.OW);
  return c;
}

OpFamily upsample_bilinear_family() {
  OpFamily f{"upsample_bilinear", {}, {}};
  f.cases = {upsample_bilinear_case({2, 3, 4, 5}, 8, 10), upsample_bilinear_case({1, 2, 3, 3}, 12, 12),
             upsample_bilinear_case({1, 1, 5, 7}, 8, 9), upsample_bilinear_case({1, 2, 1, 1}, 3, 3),
             upsample_bilinear_case({1, 1, 6, 6}, 4, 5)};
  f.perf_cases = {upsample_bilinear_case({1, 64, 32, 32}, 64, 64)};
  return f;
}

// ---- concat -------------------------------------------------------------------------

OpCase concat_case(const std::vector<Shape>& shapes) {
  OpCase c;
  c.op = "concat";
  int64_t channels = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    c.inputs.push_back({"x" + std::to_string(i), shapes[i]});
    channels += shapes[i][1];
  }
  const int64_t N = shapes[0][0], HW = shapes[0][2] * shapes[0][3];
  c.reference = [shapes, channels, N, HW](const Inputs& in) {
    DoubleVector y(N * channels * HW);
    int64_t offset = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
      cpu::copy_into_channels(in[i].data(), y.data(), N, shapes[i][1], channels, offset, HW);
      offset += shapes[i][1];
    }
    return y;
  };
  c.reference_backward = [shapes, channels, N, HW](const Inputs& in, const DoubleVector& g) {
    Grads grads;
    int64_t offset = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
      grads.push_back(DoubleVector(in[i].size()));
      cpu::copy_from_channels(g.data(), grads[i].data(), N, channels, shapes[i][1], offset, HW);
      offset += shapes[i][1];
    }
    return grads;
  };
  c.run = [](const std::vector<Tensor>& t) { return concat(t); };
  c.flops = static_cast<double>(N * channels * HW);
  return c;
}

OpFamily concat_family() {
  OpFamily f{"concat", {}, {}};
  f.cases = {concat_case({{2, 3, 4, 5}, {2, 1, 4, 5}}), concat_case({{1, 2, 3, 3}, {1, 5, 3, 3}, {1, 1, 3, 3}}),
             concat_case({{3, 1, 1, 7}})};
  f.perf_cases = {concat_case({{1, 32, 64, 64}, {1, 64, 64, 64}, {1, 128, 64, 64}})};
  return f;
}

std::vector<OpFamily> build_registry() {
  return {
      elementwise_family("add", add_case),
      elementwise_family("mul", mul_case),
      elementwise_family("scale", scale_case),
      elementwise_family("relu", relu_case),
      reduce_family(false),
      reduce_family(true),
      matmul_family(),
      conv2d_family(),
      batchnorm_family(true),
      batchnorm_family(false),
      upsample_nearest_family(),
      upsample_bilinear_family(),
      concat_family(),
  };
}

}  // namespace

const std::vector<OpFamily>& registry() {
  static const std::vector<OpFamily> families = build_registry();
  return families;
}

}  // namespace heatmark::harness
