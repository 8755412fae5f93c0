// Dispatch of conv2d: checks, then the CPU kernel or a launcher (or a vendor library: oneDNN on
// the CPU, cuDNN on CUDA) for the device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/conv2d.h"
#include "tensor/cpu/reduce.h"
#include "tensor/cpu/vendor/onednn.h"

namespace heatmark::kernels {

Conv2dShape conv2d_shape(const Tensor& x, const Tensor& w, int stride, int padding) {
  check_ndim("conv2d", x, "input", 4, "(N, C, H, W)");
  check_ndim("conv2d", w, "weight", 4, "(C_out, C_in, kH, kW)");
  check_same_device("conv2d", x, w, "weight");
  HM_CHECK(stride >= 1 && padding >= 0, "conv2d: stride {} must be >= 1 and padding {} >= 0", stride, padding);
  HM_CHECK(x.size(1) == w.size(1), "conv2d: {} has {} channels (shape {}) but {} expects {} (shape {})",
           x.label("input"), x.size(1), x.shape().str(), w.label("weight"), w.size(1), w.shape().str());
  const Conv2dShape s = Conv2dShape::make(x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(2),
                                          w.size(3), stride, padding);
  HM_CHECK(x.size(2) + 2 * padding >= w.size(2) && x.size(3) + 2 * padding >= w.size(3),
           "conv2d: {} of shape {} is smaller than the {}x{} kernel of {} with padding {}", x.label("input"),
           x.shape().str(), w.size(2), w.size(3), w.label("weight"), padding);
  return s;
}

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int padding) {
  profiler::OpScope scope("conv2d_forward", profiler::OpKind::ConvForward, device_of(x));
  const Conv2dShape s = conv2d_shape(x, w, stride, padding);
  profiler::trace_conv(s);
  if (b.defined()) {
    check_channels("conv2d", b, "bias", s.C_out);
    check_same_device("conv2d", x, b, "bias");
  }
  Tensor y = Tensor::empty({s.N, s.C_out, s.OH, s.OW}, x.device());
  const float* bias = b.defined() ? b.data() : nullptr;
  if (x.device().is_cpu() && use_vendor(x.device()))
    onednn::conv2d_forward(s, x.data(), w.data(), bias, y.data());
  else if (x.device().is_cpu())
    cpu::conv2d_forward_direct(s, x.data(), w.data(), bias, y.data());
  else if (use_vendor(x.device()))
    HM_VENDOR(conv2d_forward(s, x.data(), w.data(), bias, y.data()));
  else
    HM_LAUNCH_ON(x.device(), conv2d_forward, s, x.data(), w.data(), bias, y.data());
  return y;
}

Tensor conv2d_backward_data(const Conv2dShape& s, const Tensor& gy, const Tensor& w) {
  profiler::OpScope scope("conv2d_backward_data", profiler::OpKind::ConvBackward, device_of(gy));
  HM_CHECK(gy.shape() == Shape({s.N, s.C_out, s.OH, s.OW}), "conv2d backward: output gradient has shape {}, expected ({}, {}, {}, {})",
           gy.shape().str(), s.N, s.C_out, s.OH, s.OW);
  Tensor gx = Tensor::empty({s.N, s.C_in, s.H, s.W}, gy.device());
  if (gy.device().is_cpu() && use_vendor(gy.device()))
    onednn::conv2d_backward_data(s, gy.data(), w.data(), gx.data());
  else if (gy.device().is_cpu())
    cpu::conv2d_backward_data_direct(s, gy.data(), w.data(), gx.data());
  else if (use_vendor(gy.device()))
    HM_VENDOR(conv2d_backward_data(s, gy.data(), w.data(), gx.data()));
  else
    HM_LAUNCH_ON(gy.device(), conv2d_backward_data, s, gy.data(), w.data(), gx.data());
  return gx;
}

void conv2d_backward_weight(const Conv2dShape& s, const Tensor& x, const Tensor& gy, Tensor& gw) {
  profiler::OpScope scope("conv2d_backward_weight", profiler::OpKind::ConvBackward, device_of(x));
  HM_CHECK(gw.shape() == Shape({s.C_out, s.C_in, s.kH, s.kW}), "conv2d backward: weight gradient has shape {}",
           gw.shape().str());
  if (gy.device().is_cpu()) {
    if (use_vendor(gy.device()))
      onednn::conv2d_backward_weight(s, x.data(), gy.data(), gw.data());
    else
      cpu::conv2d_backward_weight_direct(s, x.data(), gy.data(), gw.data());
    return;
  }
  if (use_vendor(gy.device())) {
    HM_VENDOR(conv2d_backward_weight(s, x.data(), gy.data(), gw.data()));
    return;
  }
  // The split-K workspace size is a property of the kernel source, the same in both builds.
  Tensor workspace = Tensor::empty({emu::conv2d_weight_workspace_floats(s)}, gy.device());
  HM_LAUNCH_ON(gy.device(), conv2d_backward_weight, s, x.data(), gy.data(), gw.data(), workspace.data());
}

void conv2d_backward_bias(const Conv2dShape& s, const Tensor& gy, Tensor& gb) {
  profiler::OpScope scope("conv2d_backward_bias", profiler::OpKind::ConvBackward, device_of(gy));
  check_channels("conv2d backward", gb, "bias gradient", s.C_out);
  if (gy.device().is_cpu())
    cpu::channel_sum_accumulate(gy.data(), s.N, s.C_out, s.OH * s.OW, gb.data());
  else if (use_vendor(gy.device()))
    HM_VENDOR(conv2d_backward_bias(s, gy.data(), gb.data()));
  else
    HM_LAUNCH_ON(gy.device(), conv2d_backward_bias, s, gy.data(), gb.data());
}

}  // namespace heatmark::kernels
