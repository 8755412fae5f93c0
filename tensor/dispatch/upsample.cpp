// Dispatch of nearest and bilinear upsampling: checks, then the CPU kernel or a launcher (or a
// vendor library) for the device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/upsample.h"

namespace heatmark::kernels {

Tensor upsample_nearest_forward(const Tensor& x, int factor) {
  profiler::OpScope scope("upsample_nearest_forward", profiler::OpKind::Resample, device_of(x));
  check_ndim("upsample_nearest", x, "input", 4, "(N, C, H, W)");
  HM_CHECK(factor >= 1, "upsample_nearest: factor must be >= 1, got {}", factor);
  const UpsampleShape s{x.size(0), x.size(1), x.size(2), x.size(3), x.size(2) * factor, x.size(3) * factor};
  Tensor y = Tensor::empty({s.N, s.C, s.OH, s.OW}, x.device());
  if (x.device().is_cpu())
    cpu::upsample_nearest_forward(s, x.data(), y.data());
  else
    HM_LAUNCH_ON(x.device(), upsample_nearest_forward, s, x.data(), y.data());
  return y;
}

Tensor upsample_nearest_backward(const Tensor& gy, const Shape& x_shape) {
  profiler::OpScope scope("upsample_nearest_backward", profiler::OpKind::Resample, device_of(gy));
  const UpsampleShape s{x_shape[0], x_shape[1], x_shape[2], x_shape[3], gy.size(2), gy.size(3)};
  Tensor gx = Tensor::empty(x_shape, gy.device());
  if (gy.device().is_cpu())
    cpu::upsample_nearest_backward(s, gy.data(), gx.data());
  else
    HM_LAUNCH_ON(gy.device(), upsample_nearest_backward, s, gy.data(), gx.data());
  return gx;
}

Tensor upsample_bilinear_forward(const Tensor& x, int64_t out_h, int64_t out_w) {
  profiler::OpScope scope("upsample_bilinear_forward", profiler::OpKind::Resample, device_of(x));
  check_ndim("upsample_bilinear", x, "input", 4, "(N, C, H, W)");
  HM_CHECK(out_h >= 1 && out_w >= 1 && x.size(2) >= 1 && x.size(3) >= 1,
           "upsample_bilinear: cannot resize {} of shape {} to {}x{}", x.label("input"), x.shape().str(), out_h,
           out_w);
  const UpsampleShape s{x.size(0), x.size(1), x.size(2), x.size(3), out_h, out_w};
  Tensor y = Tensor::empty({s.N, s.C, s.OH, s.OW}, x.device());
  if (x.device().is_cpu())
    cpu::upsample_bilinear_forward(s, x.data(), y.data());
  else
    HM_LAUNCH_ON(x.device(), upsample_bilinear_forward, s, x.data(), y.data());
  return y;
}

Tensor upsample_bilinear_backward(const Tensor& gy, const Shape& x_shape) {
  profiler::OpScope scope("upsample_bilinear_backward", profiler::OpKind::Resample, device_of(gy));
  const UpsampleShape s{x_shape[0], x_shape[1], x_shape[2], x_shape[3], gy.size(2), gy.size(3)};
  Tensor gx = Tensor::empty(x_shape, gy.device());
  if (gy.device().is_cpu())
    cpu::upsample_bilinear_backward(s, gy.data(), gx.data());
  else
    HM_LAUNCH_ON(gy.device(), upsample_bilinear_backward, s, gy.data(), gx.data());
  return gx;
}

}  // namespace heatmark::kernels
