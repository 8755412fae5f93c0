// Spatial soft-argmax: heatmaps (N, K, H, W) -> coordinates (N, K, 2)
// normalised to [0, 1], and its backward. Formulas, coordinate convention
// and the choice of beta: tensor/cpu/render_gaussian_heatmaps.h.
//
// One block per map, softmax and expectation fused (the pattern of llm.c's
// fused classifier): a block max for numerical stability, then one pass that
// sums e = exp(beta (h - max)), e * x and e * y together. The backward
// recomputes max and the sum the same way, then writes
//   gh = beta * p * (gu (x_j - u) + gv (y_i - v))   with p = e / sum.
#include "cuda/kernels/block_reduce.cuh"

namespace heatmark::HM_BACKEND {

namespace {
// The largest value of one map, in every thread of the block.
__device__ inline float map_max(const float* h, int64_t pixels) {
  float peak = MaxOp::kIdentity;
  for (int64_t p = threadIdx.x; p < pixels; p += kBlockSize) peak = h[p] > peak ? h[p] : peak;
  return block_max(peak);
}
}  // namespace

__global__ void soft_argmax_forward_kernel(HeatmapShape s, const float* __restrict__ heatmaps, float beta,
                                           float* __restrict__ coords) {
  const int64_t pixels = s.H * s.W;
  const float* h = heatmaps + int64_t(blockIdx.x) * pixels;
  const float peak = map_max(h, pixels);
  float total = 0.0f, sx = 0.0f, sy = 0.0f;
  for (int64_t p = threadIdx.x; p < pixels; p += kBlockSize) {
    const float e = expf(beta * (h[p] - peak));
    total += e;
    sx += e * (static_cast<float>(p % s.W) + 0.5f);
    sy += e * (static_cast<float>(p / s.W) + 0.5f);
  }
  total = block_sum(total);
  sx = block_sum(sx);
  sy = block_sum(sy);
  if (threadIdx.x == 0) {
    coords[2 * blockIdx.x] = sx / total / static_cast<float>(s.W);
    coords[2 * blockIdx.x + 1] = sy / total / static_cast<float>(s.H);
  }
}

__global__ void soft_argmax_backward_kernel(HeatmapShape s, const float* __restrict__ heatmaps,
                                            const float* __restrict__ coords, const float* __restrict__ g_coords,
                                            float beta, float* __restrict__ g_heatmaps) {
  const int64_t pixels = s.H * s.W, map = blockIdx.x;
  const float* h = heatmaps + map * pixels;
  const float peak = map_max(h, pixels);
  float total = 0.0f;
  for (int64_t p = threadIdx.x; p < pixels; p += kBlockSize) total += expf(beta * (h[p] - peak));
  total = block_sum(total);
  const float u = coords[2 * map], v = coords[2 * map + 1], gu = g_coords[2 * map], gv = g_coords[2 * map + 1];
  for (int64_t p = threadIdx.x; p < pixels; p += kBlockSize) {
    const float prob = expf(beta * (h[p] - peak)) / total;
    const float x = (static_cast<float>(p % s.W) + 0.5f) / static_cast<float>(s.W);
    const float y = (static_cast<float>(p / s.W) + 0.5f) / static_cast<float>(s.H);
    g_heatmaps[map * pixels + p] = beta * prob * (gu * (x - u) + gv * (y - v));
  }
}

void soft_argmax_forward(const HeatmapShape& s, const float* heatmaps, float beta, float* coords, StreamHandle stream) {
  if (s.N * s.K > 0)
    launch(soft_argmax_forward_kernel, static_cast<unsigned>(s.N * s.K), kBlockSize, 0,
           static_cast<cudaStream_t>(stream), s, heatmaps, beta, coords);
}

void soft_argmax_backward(const HeatmapShape& s, const float* heatmaps, const float* coords, const float* g_coords,
                          float beta, float* g_heatmaps, StreamHandle stream) {
  if (s.N * s.K > 0)
    launch(soft_argmax_backward_kernel, static_cast<unsigned>(s.N * s.K), kBlockSize, 0,
           static_cast<cudaStream_t>(stream), s, heatmaps, coords, g_coords, beta, g_heatmaps);
}

}  // namespace heatmark::HM_BACKEND
