// Dispatch of the reductions (sum, mean) and their backward: checks, then the CPU kernel or a
// launcher (or a vendor library) for the device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/elementwise.h"
#include "tensor/cpu/reduce.h"

namespace heatmark::kernels {

namespace {
// scale * sum(x) as a one-element tensor on x's device.
Tensor scaled_sum(const Tensor& x, float scale) {
  if (x.device().is_cpu())
    return Tensor::scalar(static_cast<float>(scale * cpu::sum_all(x.data(), x.numel())), x.device());
  Tensor out = Tensor::empty(Shape{}, x.device());
  // The workspace size is a property of the kernel source, the same in both builds.
  Tensor workspace = Tensor::empty({emu::sum_workspace_floats(x.numel())}, x.device());
  HM_LAUNCH_ON(x.device(), sum_forward, x.data(), x.numel(), scale, workspace.data(), out.data());
  return out;
}
}  // namespace

Tensor sum(const Tensor& x) {
  profiler::OpScope scope("sum", profiler::OpKind::Other, device_of(x));
  check_defined("sum", x, "input");
  return scaled_sum(x, 1.0f);
}

Tensor mean(const Tensor& x) {
  profiler::OpScope scope("mean", profiler::OpKind::Other, device_of(x));
  check_defined("mean", x, "input");
  HM_CHECK(x.numel() > 0, "mean: {} is empty (shape {})", x.label("input"), x.shape().str());
  return scaled_sum(x, 1.0f / static_cast<float>(x.numel()));
}

Tensor broadcast_scalar(const Tensor& g, const Shape& shape, float scale) {
  profiler::OpScope scope("broadcast_scalar", profiler::OpKind::Other, device_of(g));
  HM_CHECK(g.numel() == 1, "broadcast_scalar: gradient {} has shape {}, not one element", g.label("g"),
           g.shape().str());
  Tensor y = Tensor::empty(shape, g.device());
  if (g.device().is_cpu())
    cpu::fill(y.data(), scale * g.data()[0], y.numel());
  else
    HM_LAUNCH_ON(g.device(), broadcast_scalar, g.data(), scale, y.data(), y.numel());
  return y;
}

}  // namespace heatmark::kernels
