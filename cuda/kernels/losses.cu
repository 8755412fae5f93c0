// The training losses and their backward passes. Formulas and normalisation:
// tensor/cpu/losses.h.
//
// Weighted heatmap MSE: phase 1, one block per map, sums w (pred - target)^2
// into partials[map]; phase 2, one block adds the partials in order and
// divides by N K H W. Weighted coordinate L1: N*K*2 values, one block.
// The backward kernels read the scalar output gradient g on the device.
#include "cuda/kernels/block_reduce.cuh"

namespace heatmark::HM_BACKEND {

__global__ void weighted_mse_partials_kernel(const float* __restrict__ pred, const float* __restrict__ target,
                                             const float* __restrict__ weight, int64_t per_map,
                                             float* __restrict__ partials) {
  const int64_t map = blockIdx.x;
  float s = 0.0f;
  for (int64_t i = map * per_map + threadIdx.x; i < (map + 1) * per_map; i += kBlockSize) {
    const float d = pred[i] - target[i];
    s += d * d;
  }
  s = block_sum(s);
  if (threadIdx.x == 0) partials[map] = weight[map] * s;
}

// out[0] = scale * sum(values[0..n)), one block, fixed order.
__global__ void scaled_sum_kernel(const float* __restrict__ values, int64_t n, float scale, float* __restrict__ out) {
  float s = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += kBlockSize) s += values[i];
  s = block_sum(s);
  if (threadIdx.x == 0) out[0] = scale * s;
}

__global__ void weighted_mse_backward_kernel(const float* __restrict__ pred, const float* __restrict__ target,
                                             const float* __restrict__ weight, int64_t per_map, int64_t total,
                                             const float* __restrict__ g, float* __restrict__ grad) {
  const float k = 2.0f * g[0] / static_cast<float>(total);
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) grad[i] = k * weight[i / per_map] * (pred[i] - target[i]);
}

__global__ void weighted_l1_forward_kernel(const float* __restrict__ pred, const float* __restrict__ truth,
                                           const float* __restrict__ weight, int64_t points, float* __restrict__ out) {
  float s = 0.0f;
  for (int64_t i = threadIdx.x; i < 2 * points; i += kBlockSize) s += weight[i / 2] * fabsf(pred[i] - truth[i]);
  s = block_sum(s);
  if (threadIdx.x == 0) out[0] = s / static_cast<float>(2 * points);
}

__global__ void weighted_l1_backward_kernel(const float* __restrict__ pred, const float* __restrict__ truth,
                                            const float* __restrict__ weight, int64_t points,
                                            const float* __restrict__ g, float* __restrict__ grad) {
  const float k = g[0] / static_cast<float>(2 * points);
  for (int64_t i = global_thread_index(); i < 2 * points; i += grid_stride()) {
    const float d = pred[i] - truth[i];
    grad[i] = k * weight[i / 2] * static_cast<float>((d > 0.0f) - (d < 0.0f));
  }
}

void weighted_mse_forward(const float* pred, const float* target, const float* weight, int64_t maps, int64_t per_map,
                          float* partials, float* out, StreamHandle stream) {
  const auto st = static_cast<cudaStream_t>(stream);
  if (maps > 0) launch(weighted_mse_partials_kernel, static_cast<unsigned>(maps), kBlockSize, 0, st, pred, target, weight, per_map, partials);
  launch(scaled_sum_kernel, 1, kBlockSize, 0, st, static_cast<const float*>(partials), maps,
         1.0f / static_cast<float>(maps * per_map), out);
}

void weighted_mse_backward(const float* pred, const float* target, const float* weight, int64_t maps, int64_t per_map,
                           const float* g, float* grad, StreamHandle stream) {
  const int64_t total = maps * per_map;
  if (total > 0)
    launch(weighted_mse_backward_kernel, grid_for(total), kBlockSize, 0, static_cast<cudaStream_t>(stream), pred,
           target, weight, per_map, total, g, grad);
}

void weighted_l1_forward(const float* pred, const float* truth, const float* weight, int64_t points, float* out,
                         StreamHandle stream) {
  launch(weighted_l1_forward_kernel, 1, kBlockSize, 0, static_cast<cudaStream_t>(stream), pred, truth, weight, points,
         out);
}

void weighted_l1_backward(const float* pred, const float* truth, const float* weight, int64_t points, const float* g,
                          float* grad, StreamHandle stream) {
  if (points > 0)
    launch(weighted_l1_backward_kernel, grid_for(2 * points), kBlockSize, 0, static_cast<cudaStream_t>(stream), pred,
           truth, weight, points, g, grad);
}

}  // namespace heatmark::HM_BACKEND
