// Dispatch of soft_argmax: checks, then the CPU kernel or a launcher (or a vendor library) for
// the device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/soft_argmax.h"

namespace heatmark::kernels {

Tensor soft_argmax_forward(const Tensor& heatmaps, float beta) {
  profiler::OpScope scope("soft_argmax_forward", profiler::OpKind::Loss, device_of(heatmaps));
  check_ndim("soft_argmax", heatmaps, "heatmaps", 4, "(N, K, H, W)");
  const HeatmapShape s{heatmaps.size(0), heatmaps.size(1), heatmaps.size(2), heatmaps.size(3)};
  HM_CHECK(s.H * s.W > 0 && beta > 0, "soft_argmax: {} of shape {} with beta {} is invalid", heatmaps.label("heatmaps"),
           heatmaps.shape().str(), beta);
  Tensor coords = Tensor::empty({s.N, s.K, 2}, heatmaps.device());
  if (heatmaps.device().is_cpu())
    cpu::soft_argmax_forward(s, heatmaps.data(), beta, coords.data());
  else {
    Tensor workspace = Tensor::empty({emu::soft_argmax_workspace_floats(s)}, heatmaps.device());
    HM_LAUNCH_ON(heatmaps.device(), soft_argmax_forward, s, heatmaps.data(), beta, coords.data(), workspace.data());
  }
  return coords;
}

Tensor soft_argmax_backward(const Tensor& heatmaps, const Tensor& coords, const Tensor& g_coords, float beta) {
  profiler::OpScope scope("soft_argmax_backward", profiler::OpKind::Loss, device_of(heatmaps));
  const HeatmapShape s{heatmaps.size(0), heatmaps.size(1), heatmaps.size(2), heatmaps.size(3)};
  check_same_shape("soft_argmax backward", coords, "coordinates", g_coords, "coordinate gradient");
  Tensor g = Tensor::empty(heatmaps.shape(), heatmaps.device());
  if (heatmaps.device().is_cpu())
    cpu::soft_argmax_backward(s, heatmaps.data(), coords.data(), g_coords.data(), beta, g.data());
  else {
    Tensor workspace = Tensor::empty({emu::soft_argmax_workspace_floats(s)}, heatmaps.device());
    HM_LAUNCH_ON(heatmaps.device(), soft_argmax_backward, s, heatmaps.data(), coords.data(), g_coords.data(), beta,
                 g.data(), workspace.data());
  }
  return g;
}

}  // namespace heatmark::kernels
