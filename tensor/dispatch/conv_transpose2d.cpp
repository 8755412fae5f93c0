// Dispatch of conv_transpose2d: checks, then the CPU kernel or a launcher (or a vendor library:
// oneDNN on the CPU, cuDNN on CUDA) for the device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/conv_transpose2d.h"
#include "tensor/cpu/reduce.h"
#include "tensor/cpu/vendor/onednn.h"

namespace heatmark::kernels {

ConvTranspose2dShape conv_transpose2d_shape(const Tensor& x, const Tensor& w, int stride, int padding,
                                            int output_padding) {
  const char* op = "conv_transpose2d";
  check_ndim(op, x, "input", 4, "(N, C_in, H, W)");
  check_ndim(op, w, "weight", 4, "(C_in, C_out, kH, kW)");
  check_same_device(op, x, w, "weight");
  HM_CHECK(stride >= 1 && padding >= 0 && output_padding >= 0 && output_padding < stride,
           "conv_transpose2d: stride {} must be >= 1, padding {} >= 0, and output padding {} in [0, stride)", stride,
           padding, output_padding);
  HM_CHECK(x.size(1) == w.size(0), "conv_transpose2d: {} has {} channels (shape {}) but {} expects {} (shape {})",
           x.label("input"), x.size(1), x.shape().str(), w.label("weight"), w.size(0), w.shape().str());
  const ConvTranspose2dShape s = ConvTranspose2dShape::make(x.size(0), x.size(1), x.size(2), x.size(3), w.size(1),
                                                            w.size(2), w.size(3), stride, padding, output_padding);
  HM_CHECK(s.OH >= 1 && s.OW >= 1, "conv_transpose2d: {} of shape {} with weight {} and padding {} gives an empty output",
           x.label("input"), x.shape().str(), w.shape().str(), padding);
  return s;
}

Tensor conv_transpose2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int padding,
                                int output_padding) {
  profiler::OpScope scope("conv_transpose2d_forward", profiler::OpKind::ConvForward, device_of(x));
  const ConvTranspose2dShape s = conv_transpose2d_shape(x, w, stride, padding, output_padding);
  if (b.defined()) {
    check_channels("conv_transpose2d", b, "bias", s.C_out);
    check_same_device("conv_transpose2d", x, b, "bias");
  }
  Tensor y = Tensor::empty({s.N, s.C_out, s.OH, s.OW}, x.device());
  const float* bias = b.defined() ? b.data() : nullptr;
  if (x.device().is_cpu() && use_vendor(x.device())) {
    onednn::conv_transpose2d_forward(s, x.data(), w.data(), bias, y.data());
  } else if (x.device().is_cpu()) {
    cpu::conv_transpose2d_forward_direct(s, x.data(), w.data(), bias, y.data());
  } else if (use_vendor(x.device())) {
    // The transposed convolution is its convolution's data gradient (ConvTranspose2dShape::as_conv).
    HM_VENDOR(conv2d_backward_data(s.as_conv(), x.data(), w.data(), y.data()));
    if (bias) HM_VENDOR(add_channel_bias(y.data(), bias, s.N, s.C_out, s.OH * s.OW));
  } else {
    HM_LAUNCH_ON(x.device(), conv_transpose2d_forward, s, x.data(), w.data(), bias, y.data());
  }
  return y;
}

Tensor conv_transpose2d_backward_data(const ConvTranspose2dShape& s, const Tensor& gy, const Tensor& w) {
  profiler::OpScope scope("conv_transpose2d_backward_data", profiler::OpKind::ConvBackward, device_of(gy));
  HM_CHECK(gy.shape() == Shape({s.N, s.C_out, s.OH, s.OW}),
           "conv_transpose2d backward: output gradient has shape {}, expected ({}, {}, {}, {})", gy.shape().str(), s.N,
           s.C_out, s.OH, s.OW);
  Tensor gx = Tensor::empty({s.N, s.C_in, s.H, s.W}, gy.device());
  if (gy.device().is_cpu() && use_vendor(gy.device()))
    onednn::conv_transpose2d_backward_data(s, gy.data(), w.data(), gx.data());
  else if (gy.device().is_cpu())
    cpu::conv_transpose2d_backward_data_direct(s, gy.data(), w.data(), gx.data());
  else if (use_vendor(gy.device()))
    HM_VENDOR(conv2d_forward(s.as_conv(), gy.data(), w.data(), nullptr, gx.data()));
  else
    HM_LAUNCH_ON(gy.device(), conv_transpose2d_backward_data, s, gy.data(), w.data(), gx.data());
  return gx;
}

void conv_transpose2d_backward_weight(const ConvTranspose2dShape& s, const Tensor& x, const Tensor& gy, Tensor& gw) {
  profiler::OpScope scope("conv_transpose2d_backward_weight", profiler::OpKind::ConvBackward, device_of(x));
  HM_CHECK(gw.shape() == Shape({s.C_in, s.C_out, s.kH, s.kW}),
           "conv_transpose2d backward: weight gradient has shape {}", gw.shape().str());
  if (gy.device().is_cpu() && use_vendor(gy.device()))
    onednn::conv_transpose2d_backward_weight(s, x.data(), gy.data(), gw.data());
  else if (gy.device().is_cpu())
    cpu::conv_transpose2d_backward_weight_direct(s, x.data(), gy.data(), gw.data());
  else if (use_vendor(gy.device()))
    HM_VENDOR(conv2d_backward_weight(s.as_conv(), gy.data(), x.data(), gw.data()));
  else
    HM_LAUNCH_ON(gy.device(), conv_transpose2d_backward_weight, s, x.data(), gy.data(), gw.data());
}

void conv_transpose2d_backward_bias(const ConvTranspose2dShape& s, const Tensor& gy, Tensor& gb) {
  profiler::OpScope scope("conv_transpose2d_backward_bias", profiler::OpKind::ConvBackward, device_of(gy));
  check_channels("conv_transpose2d backward", gb, "bias gradient", s.C_out);
  if (gy.device().is_cpu())
    cpu::channel_sum_accumulate(gy.data(), s.N, s.C_out, s.OH * s.OW, gb.data());
  else
    HM_LAUNCH_ON(gy.device(), channel_sum_accumulate, gy.data(), s.N, s.C_out, s.OH * s.OW, gb.data());
}

}  // namespace heatmark::kernels
