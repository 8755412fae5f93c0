// Gaussian heatmap targets from landmark coordinates (no backward: targets
// are data). coords (N, K, 2) as (x, y) in heatmap pixels, visibility (N, K)
// -> target (N, K, H, W) and weight (N, K). Coordinate convention and
// formulas: tensor/cpu/render_gaussian_heatmaps.h. One thread per target pixel.
#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

namespace {
// The landmark's weight: its visibility when it lies on the map, else 0.
__device__ inline float landmark_weight(const HeatmapShape& s, const float* coords, const float* visibility,
                                        int64_t nk) {
  const float x0 = coords[2 * nk], y0 = coords[2 * nk + 1];
  const bool inside = x0 >= 0.0f && x0 < static_cast<float>(s.W) && y0 >= 0.0f && y0 < static_cast<float>(s.H);
  return inside ? visibility[nk] : 0.0f;  // NaN coordinates compare false: weight 0
}
}  // namespace

__global__ void render_gaussian_heatmaps_kernel(HeatmapShape s, const float* __restrict__ coords,
                                                const float* __restrict__ visibility, float inv_two_sigma_sq,
                                                float* __restrict__ target, float* __restrict__ weight) {
  const int64_t total = s.N * s.K * s.H * s.W;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t j = i % s.W, row = i / s.W % s.H, nk = i / (s.W * s.H);
    const float w = landmark_weight(s, coords, visibility, nk);
    const float dx = static_cast<float>(j) + 0.5f - coords[2 * nk];
    const float dy = static_cast<float>(row) + 0.5f - coords[2 * nk + 1];
    target[i] = w > 0.0f ? expf(-(dx * dx + dy * dy) * inv_two_sigma_sq) : 0.0f;
    if (j == 0 && row == 0) weight[nk] = w;
  }
}

void render_gaussian_heatmaps(const HeatmapShape& s, const float* coords, const float* visibility, float sigma,
                              float* target, float* weight, StreamHandle stream) {
  const int64_t n = s.N * s.K * s.H * s.W;
  if (n > 0)
    launch(render_gaussian_heatmaps_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, coords,
           visibility, 1.0f / (2.0f * sigma * sigma), target, weight);
}

}  // namespace heatmark::HM_BACKEND
