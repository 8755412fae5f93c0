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
#include "tensor/cpu/conv_transpose2d.h"
#include "tensor/cpu/heatmap.h"
#include "tensor/cpu/losses.h"
#include "tensor/cpu/optimizers.h"
#include "tensor/kernels.h"
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

// ---- conv2d (conv2d_case is public: below) ------------------------------------------

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
  // Training updates the running statistics in place (momentum 0.1, the
  // unbiased batch variance, PyTorch's convention); evaluation leaves them.
  c.updated_inputs = {3, 4};
  c.reference_updates = [s, training](const Inputs& in) {
    DoubleVector running_mean = in[3], running_var = in[4];
    if (training) {
      DoubleVector y(in[0].size()), mean(s.C), invstd(s.C);
      cpu::batchnorm_forward_train<double>(s, in[0].data(), in[1].data(), in[2].data(), y.data(), mean.data(),
                                           invstd.data(), running_mean.data(), running_var.data(), kMomentum, kEps);
    }
    return std::vector<DoubleVector>{running_mean, running_var};
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

// ---- conv_transpose2d -----------------------------------------------------------------

OpCase conv_transpose2d_case(int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t k, int stride,
                             int pad, int output_pad, bool bias) {
  const ConvTranspose2dShape s = ConvTranspose2dShape::make(N, C_in, H, W, C_out, k, k, stride, pad, output_pad);
  OpCase c;
  c.op = "conv_transpose2d";
  c.params = "k" + std::to_string(k) + " s" + std::to_string(stride) + " p" + std::to_string(pad) +
             (output_pad ? " op" + std::to_string(output_pad) : "") + (bias ? " bias" : "");
  c.inputs = {{"x", Shape{N, C_in, H, W}}, {"weight", Shape{C_in, C_out, k, k}}};
  if (bias) c.inputs.push_back({"bias", Shape{C_out}});
  c.reference = [s, bias](const Inputs& in) {
    DoubleVector y(s.N * s.C_out * s.OH * s.OW);
    cpu::conv_transpose2d_forward(s, in[0].data(), in[1].data(), bias ? in[2].data() : nullptr, y.data());
    return y;
  };
  c.reference_backward = [s, bias](const Inputs& in, const DoubleVector& g) {
    Grads grads{DoubleVector(in[0].size()), DoubleVector(in[1].size(), 0.0)};
    cpu::conv_transpose2d_backward_data(s, g.data(), in[1].data(), grads[0].data());
    cpu::conv_transpose2d_backward_weight(s, in[0].data(), g.data(), grads[1].data());
    if (bias) {
      grads.push_back(DoubleVector(s.C_out, 0.0));
      cpu::conv_transpose2d_backward_bias(s, g.data(), grads[2].data());
    }
    return grads;
  };
  c.run = [stride, pad, output_pad](const std::vector<Tensor>& t) {
    return conv_transpose2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), stride, pad, output_pad);
  };
  c.flops = s.flops();
  return c;
}

OpFamily conv_transpose2d_family() {
  OpFamily f{"conv_transpose2d", {}, {}};
  f.cases = {
      conv_transpose2d_case(2, 3, 5, 4, 4, 4, 2, 1, 0, true),   // the x2 upsampling of the deconv head
      conv_transpose2d_case(1, 5, 3, 3, 3, 3, 2, 1, 1, false),  // 3x3 with output padding: exactly x2
      conv_transpose2d_case(2, 2, 4, 3, 5, 2, 2, 0, 0, true),   // 2x2 stride 2: no overlap
      conv_transpose2d_case(1, 4, 6, 5, 3, 3, 1, 1, 0, true),   // stride 1
      conv_transpose2d_case(1, 17, 4, 4, 9, 4, 2, 1, 0, false), // odd channel counts
  };
  f.perf_cases = {conv_transpose2d_case(1, 64, 48, 48, 64, 4, 2, 1, 0, false)};
  return f;
}

// ---- landmark heatmaps ------------------------------------------------------------------

// Coordinates in heatmap pixels spread a little beyond the map, so some are outside it.
InputSpec landmark_coordinates(int64_t N, int64_t K, double extent) {
  return {"coords", Shape{N, K, 2}, false, Init::Uniform, -0.15 * extent, 1.15 * extent};
}

OpCase heatmap_render_case(int64_t N, int64_t K, int64_t H, int64_t W, double sigma) {
  const HeatmapShape s{N, K, H, W};
  OpCase c;
  c.op = "heatmap_render";
  c.params = "sigma " + std::to_string(sigma).substr(0, 4);
  c.inputs = {landmark_coordinates(N, K, static_cast<double>(std::max(H, W))), {"visibility", Shape{N, K}, false, Init::Mask}};
  c.reference = [s, sigma](const Inputs& in) {
    DoubleVector out(s.N * s.K * s.H * s.W + s.N * s.K);  // targets, then weights
    cpu::render_gaussian_heatmaps(s, in[0].data(), in[1].data(), sigma, out.data(), out.data() + s.N * s.K * s.H * s.W);
    return out;
  };
  c.run = [H, W, sigma](const std::vector<Tensor>& t) {
    const kernels::HeatmapTargets out = kernels::render_gaussian_heatmaps(t[0], t[1], H, W, static_cast<float>(sigma));
    return kernels::concat_channels({out.target.reshape({1, -1, 1, 1}), out.weight.reshape({1, -1, 1, 1})});
  };
  c.flops = 10.0 * N * K * H * W;
  c.forward_tolerance = 1e-11;
  return c;
}

OpFamily heatmap_render_family() {
  OpFamily f{"heatmap_render", {}, {}};
  f.cases = {heatmap_render_case(2, 3, 16, 12, 3.0), heatmap_render_case(1, 19, 24, 20, 2.0),
             heatmap_render_case(3, 1, 7, 9, 1.5)};
  f.perf_cases = {heatmap_render_case(4, 19, 192, 192, 3.0)};
  return f;
}

OpCase soft_argmax_case(int64_t N, int64_t K, int64_t H, int64_t W, double beta) {
  const HeatmapShape s{N, K, H, W};
  OpCase c;
  c.op = "soft_argmax";
  c.params = "beta " + std::to_string(static_cast<int>(beta));
  c.inputs = {{"heatmaps", Shape{N, K, H, W}}};
  c.reference = [s, beta](const Inputs& in) {
    DoubleVector coords(s.N * s.K * 2);
    cpu::soft_argmax_forward(s, in[0].data(), beta, coords.data());
    return coords;
  };
  c.reference_backward = [s, beta](const Inputs& in, const DoubleVector& g) {
    DoubleVector coords(s.N * s.K * 2), gh(in[0].size());
    cpu::soft_argmax_forward(s, in[0].data(), beta, coords.data());
    cpu::soft_argmax_backward(s, in[0].data(), coords.data(), g.data(), beta, gh.data());
    return Grads{gh};
  };
  c.run = [beta](const std::vector<Tensor>& t) { return soft_argmax(t[0], static_cast<float>(beta)); };
  c.flops = 8.0 * N * K * H * W;
  // exp(beta * h) amplifies float rounding of h by beta.
  c.forward_tolerance = 1e-9;
  c.backward_tolerance = 1e-8;
  return c;
}

OpFamily soft_argmax_family() {
  OpFamily f{"soft_argmax", {}, {}};
  f.cases = {soft_argmax_case(2, 3, 8, 9, 20), soft_argmax_case(1, 1, 1, 5, 20), soft_argmax_case(1, 2, 16, 16, 5),
             soft_argmax_case(2, 1, 33, 7, 20)};
  f.perf_cases = {soft_argmax_case(4, 19, 192, 192, 20)};
  return f;
}

// ---- losses -------------------------------------------------------------------------------

OpCase heatmap_mse_case(int64_t N, int64_t K, int64_t H, int64_t W) {
  const int64_t maps = N * K, per_map = H * W;
  OpCase c;
  c.op = "heatmap_mse";
  c.inputs = {{"heatmaps", Shape{N, K, H, W}}, {"target", Shape{N, K, H, W}, false}, {"weight", Shape{N, K}, false, Init::Mask}};
  c.reference = [=](const Inputs& in) {
    return DoubleVector{cpu::weighted_mse_forward(in[0].data(), in[1].data(), in[2].data(), maps, per_map)};
  };
  c.reference_backward = [=](const Inputs& in, const DoubleVector& g) {
    DoubleVector grad(in[0].size());
    cpu::weighted_mse_backward(in[0].data(), in[1].data(), in[2].data(), maps, per_map, g[0], grad.data());
    return Grads{grad, {}, {}};
  };
  c.run = [](const std::vector<Tensor>& t) { return heatmap_mse_loss(t[0], t[1], t[2]); };
  c.flops = 3.0 * maps * per_map;
  return c;
}

OpFamily heatmap_mse_family() {
  OpFamily f{"heatmap_mse", {}, {}};
  f.cases = {heatmap_mse_case(2, 3, 8, 9), heatmap_mse_case(1, 1, 1, 1), heatmap_mse_case(3, 19, 5, 4)};
  f.perf_cases = {heatmap_mse_case(4, 19, 192, 192)};
  return f;
}

OpCase coordinate_l1_case(int64_t N, int64_t K) {
  OpCase c;
  c.op = "coordinate_l1";
  c.inputs = {{"coords", Shape{N, K, 2}}, {"truth", Shape{N, K, 2}, false}, {"weight", Shape{N, K}, false, Init::Mask}};
  c.reference = [=](const Inputs& in) {
    return DoubleVector{cpu::weighted_l1_forward(in[0].data(), in[1].data(), in[2].data(), N * K)};
  };
  c.reference_backward = [=](const Inputs& in, const DoubleVector& g) {
    DoubleVector grad(in[0].size());
    cpu::weighted_l1_backward(in[0].data(), in[1].data(), in[2].data(), N * K, g[0], grad.data());
    return Grads{grad, {}, {}};
  };
  c.run = [](const std::vector<Tensor>& t) { return coordinate_l1_loss(t[0], t[1], t[2]); };
  c.flops = 4.0 * N * K;
  return c;
}

OpFamily coordinate_l1_family() {
  OpFamily f{"coordinate_l1", {}, {}};
  f.cases = {coordinate_l1_case(2, 3), coordinate_l1_case(1, 1), coordinate_l1_case(4, 19)};
  f.perf_cases = {coordinate_l1_case(64, 29)};
  return f;
}

// ---- optimizers ---------------------------------------------------------------------------
// Inputs: for each of the `shapes`, a parameter, its gradient, and the
// optimizer states; the output is every parameter and state after one step,
// flattened and concatenated.

Tensor flat_concat(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> columns;
  for (const Tensor& t : tensors) columns.push_back(t.reshape({1, -1, 1, 1}));
  return kernels::concat_channels(columns);
}

enum class OptimizerKind { Adam, AdamW, Sgd };

OpCase optimizer_case(OptimizerKind kind, const std::vector<Shape>& shapes, float max_norm) {
  const int64_t count = static_cast<int64_t>(shapes.size());
  const int states = kind == OptimizerKind::Sgd ? 1 : 2;
  const int64_t step = 3;
  OpCase c;
  c.op = kind == OptimizerKind::Adam ? "adam" : kind == OptimizerKind::AdamW ? "adamw" : "sgd";
  c.params = max_norm > 0 ? "clip " + std::to_string(max_norm).substr(0, 3) : "";
  for (int64_t i = 0; i < count; ++i) {
    c.inputs.push_back({"p" + std::to_string(i), shapes[i], false});
    c.inputs.push_back({"g" + std::to_string(i), shapes[i], false});
    c.inputs.push_back({"m" + std::to_string(i), shapes[i], false, Init::Uniform, -0.1, 0.1});
    if (states == 2) c.inputs.push_back({"v" + std::to_string(i), shapes[i], false, Init::Uniform, 0.0, 0.01});
  }
  const int stride = 2 + states;
  const AdamHyper adam{1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, static_cast<float>(cpu::bias_correction(0.9, step)),
                       static_cast<float>(cpu::bias_correction(0.999, step)), kind == OptimizerKind::AdamW};
  const SgdHyper sgd{1e-2f, 0.9f, 0.05f, 0};
  c.reference = [=](const Inputs& in_const) {
    Inputs in = in_const;
    double norm_sq = 0;
    for (int64_t i = 0; i < count; ++i) norm_sq += cpu::squared_norm(in[i * stride + 1].data(), shapes[i].numel());
    const double norm = std::sqrt(norm_sq);
    const double scale = max_norm > 0 ? std::min(1.0, max_norm / (norm + 1e-6)) : 1.0;
    DoubleVector out;
    for (int64_t i = 0; i < count; ++i) {
      double* p = in[i * stride].data();
      const double* g = in[i * stride + 1].data();
      if (kind == OptimizerKind::Sgd)
        cpu::sgd_update(cpu::SgdOptions{sgd.lr, sgd.momentum, sgd.weight_decay, false}, scale, p, g,
                        in[i * stride + 2].data(), shapes[i].numel());
      else
        cpu::adam_update(cpu::AdamOptions{adam.lr, adam.beta1, adam.beta2, adam.eps, adam.weight_decay, adam.decoupled != 0},
                         adam.bias_correction1, adam.bias_correction2, scale, p, g, in[i * stride + 2].data(),
                         in[i * stride + 3].data(), shapes[i].numel());
    }
    for (int64_t i = 0; i < count; ++i)
      for (int s = 0; s < stride; ++s)
        if (s != 1) out.insert(out.end(), in[i * stride + s].begin(), in[i * stride + s].end());
    return out;
  };
  c.run = [=](const std::vector<Tensor>& t) {
    std::vector<Tensor> params, grads, m, v, updated;
    for (int64_t i = 0; i < count; ++i) {
      params.push_back(t[i * stride]);
      grads.push_back(t[i * stride + 1]);
      m.push_back(t[i * stride + 2]);
      if (states == 2) v.push_back(t[i * stride + 3]);
    }
    Tensor scale;
    if (max_norm > 0) scale = kernels::gradient_norm(grads, max_norm).narrow(1, 1);
    if (kind == OptimizerKind::Sgd)
      kernels::sgd_step(params, grads, m, sgd, scale);
    else
      kernels::adam_step(params, grads, m, v, adam, scale);
    for (int64_t i = 0; i < count; ++i)
      for (int s = 0; s < stride; ++s)
        if (s != 1) updated.push_back(t[i * stride + s]);
    return flat_concat(updated);
  };
  int64_t total = 0;
  for (const Shape& s : shapes) total += s.numel();
  c.flops = 12.0 * total;
  return c;
}

OpFamily optimizer_family(OptimizerKind kind) {
  OpFamily f{kind == OptimizerKind::Adam ? "adam" : kind == OptimizerKind::AdamW ? "adamw" : "sgd", {}, {}};
  const std::vector<Shape> small{{5, 3, 3, 3}, {5}, {7, 11}};
  const std::vector<Shape> large{{70000}, {3}, {33, 17}};  // one tensor spans two chunks
  f.cases = {optimizer_case(kind, small, 0), optimizer_case(kind, large, 0), optimizer_case(kind, small, 0.5f),
             optimizer_case(kind, large, 1e6f)};
  f.perf_cases = {optimizer_case(kind, {{256, 256, 3, 3}, {256}, {128, 128, 3, 3}}, 1.0f)};
  return f;
}

OpCase gradient_norm_case(const std::vector<Shape>& shapes, float max_norm) {
  OpCase c;
  c.op = "gradient_norm";
  c.params = "max " + std::to_string(max_norm).substr(0, 4);
  for (size_t i = 0; i < shapes.size(); ++i) c.inputs.push_back({"g" + std::to_string(i), shapes[i], false});
  c.reference = [=](const Inputs& in) {
    double sum = 0;
    for (const DoubleVector& g : in) sum += cpu::squared_norm(g.data(), static_cast<int64_t>(g.size()));
    const double norm = std::sqrt(sum);
    return DoubleVector{norm, max_norm > 0 ? std::min(1.0, max_norm / (norm + 1e-6)) : 1.0};
  };
  c.run = [max_norm](const std::vector<Tensor>& t) { return kernels::gradient_norm(t, max_norm); };
  int64_t total = 0;
  for (const Shape& s : shapes) total += s.numel();
  c.flops = 2.0 * total;
  return c;
}

OpFamily gradient_norm_family() {
  OpFamily f{"gradient_norm", {}, {}};
  f.cases = {gradient_norm_case({{5, 3, 3, 3}, {5}}, 1.0f), gradient_norm_case({{70000}, {3}}, 1e6f),
             gradient_norm_case({{1}}, 0.0f)};
  f.perf_cases = {gradient_norm_case({{256, 256, 3, 3}, {256}, {128, 128, 3, 3}}, 1.0f)};
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
      conv_transpose2d_family(),
      heatmap_render_family(),
      soft_argmax_family(),
      heatmap_mse_family(),
      coordinate_l1_family(),
      optimizer_family(OptimizerKind::Adam),
      optimizer_family(OptimizerKind::AdamW),
      optimizer_family(OptimizerKind::Sgd),
      gradient_norm_family(),
  };
}

}  // namespace

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


const std::vector<OpFamily>& registry() {
  static const std::vector<OpFamily> families = build_registry();
  return families;
}

}  // namespace heatmark::harness
