// Op harness cases of the layer ops: conv2d, batch_norm2d, upsampling, concat_channels,
// conv_transpose2d: shapes, the double CPU reference (tensor/cpu/) and the op under test
// (autograd/ops.h).
#include <cmath>

#include "autograd/ops.h"
#include "harness/op_cases.h"
#include "tensor/cpu/batch_norm2d.h"
#include "tensor/cpu/concat_channels.h"
#include "tensor/cpu/conv2d.h"
#include "tensor/cpu/conv_transpose2d.h"
#include "tensor/cpu/upsample.h"

namespace heatmark::harness {

namespace {

using Inputs = std::vector<DoubleVector>;
using Grads = std::vector<DoubleVector>;

// ---- conv2d (conv2d_case is public: op_harness.h) ------------------------------------

OpFamily conv2d_family() {
  OpFamily f{"conv2d", {}, {}};
  f.cases = {
      conv2d_case(2, 3, 7, 9, 5, 3, 1, 1, true),     // 3x3 same padding, odd image
      conv2d_case(2, 3, 7, 9, 5, 3, 2, 1, true),     // stride 2 on odd sizes
      conv2d_case(1, 4, 6, 6, 6, 1, 1, 0, true),     // pointwise: the output is its own grid
      conv2d_case(2, 17, 5, 4, 7, 1, 1, 0, false),   // pointwise, channels off the block sizes
      conv2d_case(1, 2, 9, 9, 3, 5, 1, 2, true),     // 5x5
      conv2d_case(3, 3, 5, 5, 4, 3, 2, 0, false),    // no padding, stride 2
      conv2d_case(1, 17, 6, 5, 70, 3, 1, 1, true),   // two output-channel blocks, 17 input channels
      conv2d_case(1, 1, 181, 181, 2, 3, 1, 1, true), // many tiles, each across row ends
      conv2d_case(1, 1, 181, 181, 2, 3, 2, 1, false),
      conv2d_case(2, 5, 7, 6, 9, 1, 2, 0, true),     // 1x1 stride 2: three of the four phases get no tap
      conv2d_case(1, 40, 6, 7, 13, 3, 2, 1, false),  // a reduction of several L1 blocks, stride 2
      conv2d_case(2, 40, 6, 7, 13, 3, 1, 1, false),  // the same at stride 1
      conv2d_case(2, 5, 8, 10, 6, 3, 2, 0, true),    // stride 2 leaving the last row and column unread
  };
  f.cpu_vendor = true;  // oneDNN
  f.perf_cases = {
      conv2d_case(1, 32, 64, 64, 32, 3, 1, 1, false),
      conv2d_case(1, 64, 128, 128, 64, 3, 2, 1, false),
      conv2d_case(1, 256, 16, 16, 256, 3, 1, 1, false),
      conv2d_case(1, 64, 64, 64, 256, 1, 1, 0, false),
  };
  return f;
}

// ---- batch_norm2d ------------------------------------------------------------------

constexpr double kMomentum = 0.1, kEps = 1e-5;

OpCase batch_norm2d_case(const Shape& x, bool training) {
  const BatchNormShape s{x[0], x[1], x[2] * x[3]};
  const Shape channels{x[1]};
  OpCase c;
  c.op = training ? "batch_norm2d_train" : "batch_norm2d_eval";
  c.inputs = {{"x", x},
              {"gamma", channels, true, Init::Positive},
              {"beta", channels},
              {"running_mean", channels, false},
              {"running_var", channels, false, Init::Positive}};
  c.reference = [s, training](const Inputs& in) {
    DoubleVector y(in[0].size()), mean(s.C), invstd(s.C);
    if (training)
      cpu::batch_norm2d_forward_train<double>(s, in[0].data(), in[1].data(), in[2].data(), y.data(), mean.data(),
                                              invstd.data(), nullptr, nullptr, kMomentum, kEps);
    else
      cpu::batch_norm2d_forward_eval(s, in[0].data(), in[1].data(), in[2].data(), in[3].data(), in[4].data(), kEps,
                                     y.data());
    return y;
  };
  c.reference_backward = [s, training](const Inputs& in, const DoubleVector& g) {
    Grads grads{DoubleVector(in[0].size()), DoubleVector(s.C, 0.0), DoubleVector(s.C, 0.0), {}, {}};
    if (training) {
      DoubleVector y(in[0].size()), mean(s.C), invstd(s.C);
      cpu::batch_norm2d_forward_train<double>(s, in[0].data(), in[1].data(), in[2].data(), y.data(), mean.data(),
                                              invstd.data(), nullptr, nullptr, kMomentum, kEps);
      cpu::batch_norm2d_backward_train(s, in[0].data(), in[1].data(), mean.data(), invstd.data(), g.data(),
                                       grads[0].data(), grads[1].data(), grads[2].data());
    } else {
      cpu::batch_norm2d_backward_eval(s, in[0].data(), in[1].data(), in[3].data(), in[4].data(), kEps, g.data(),
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
      cpu::batch_norm2d_forward_train<double>(s, in[0].data(), in[1].data(), in[2].data(), y.data(), mean.data(),
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

OpFamily batch_norm2d_family(bool training) {
  OpFamily f{training ? "batch_norm2d_train" : "batch_norm2d_eval", {}, {}};
  for (Shape s : {Shape{2, 3, 5, 7}, Shape{1, 4, 3, 3}, Shape{4, 2, 1, 1}, Shape{3, 5, 2, 3}})
    f.cases.push_back(batch_norm2d_case(s, training));
  f.perf_cases.push_back(batch_norm2d_case(Shape{4, 32, 64, 64}, training));
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

OpCase concat_channels_case(const std::vector<Shape>& shapes) {
  OpCase c;
  c.op = "concat_channels";
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
      cpu::concat_channels(in[i].data(), y.data(), N, shapes[i][1], channels, offset, HW);
      offset += shapes[i][1];
    }
    return y;
  };
  c.reference_backward = [shapes, channels, N, HW](const Inputs& in, const DoubleVector& g) {
    Grads grads;
    int64_t offset = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
      grads.push_back(DoubleVector(in[i].size()));
      cpu::slice_channels(g.data(), grads[i].data(), N, channels, shapes[i][1], offset, HW);
      offset += shapes[i][1];
    }
    return grads;
  };
  c.run = [](const std::vector<Tensor>& t) { return concat_channels(t); };
  c.flops = static_cast<double>(N * channels * HW);
  return c;
}

OpFamily concat_channels_family() {
  OpFamily f{"concat_channels", {}, {}};
  f.cases = {concat_channels_case({{2, 3, 4, 5}, {2, 1, 4, 5}}), concat_channels_case({{1, 2, 3, 3}, {1, 5, 3, 3}, {1, 1, 3, 3}}),
             concat_channels_case({{3, 1, 1, 7}})};
  f.perf_cases = {concat_channels_case({{1, 32, 64, 64}, {1, 64, 64, 64}, {1, 128, 64, 64}})};
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
  f.cpu_vendor = true;  // oneDNN, through the adjoint convolution
  f.perf_cases = {conv_transpose2d_case(1, 64, 48, 48, 64, 4, 2, 1, 0, false)};
  return f;
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

std::vector<OpFamily> layer_families() {
  return {
      conv2d_family(),
      batch_norm2d_family(true),
      batch_norm2d_family(false),
      upsample_nearest_family(),
      upsample_bilinear_family(),
      concat_channels_family(),
      conv_transpose2d_family(),
  };
}

}  // namespace heatmark::harness
