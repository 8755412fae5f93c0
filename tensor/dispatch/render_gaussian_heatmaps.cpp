// Dispatch of render_gaussian_heatmaps (the Gaussian targets): checks, then the CPU kernel or a
// launcher (or a vendor library) for the device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/render_gaussian_heatmaps.h"

namespace heatmark::kernels {

HeatmapTargets render_gaussian_heatmaps(const Tensor& coords, const Tensor& visibility, int64_t height, int64_t width,
                                        float sigma) {
  profiler::OpScope scope("render_gaussian_heatmaps", profiler::OpKind::Loss, device_of(coords));
  HeatmapShape s = check_landmarks("render_gaussian_heatmaps", coords, "coordinates");
  check_landmark_weights("render_gaussian_heatmaps", visibility, s, "visibility");
  check_same_device("render_gaussian_heatmaps", coords, visibility, "visibility");
  HM_CHECK(height >= 1 && width >= 1 && sigma > 0, "render_gaussian_heatmaps: a {}x{} map with sigma {} is invalid",
           height, width, sigma);
  s.H = height;
  s.W = width;
  HeatmapTargets out{Tensor::empty({s.N, s.K, s.H, s.W}, coords.device()), Tensor::empty({s.N, s.K}, coords.device())};
  if (coords.device().is_cpu())
    cpu::render_gaussian_heatmaps(s, coords.data(), visibility.data(), sigma, out.target.data(), out.weight.data());
  else
    HM_LAUNCH_ON(coords.device(), render_gaussian_heatmaps, s, coords.data(), visibility.data(), sigma,
                 out.target.data(), out.weight.data());
  return out;
}

}  // namespace heatmark::kernels
