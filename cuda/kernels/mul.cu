// Elementwise product y = a * b, and its backward ga = gy * b, gb = gy * a
// (both written, in one pass over gy).
#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

__global__ void mul_forward_kernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y,
                                   int64_t n) {
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) y[i] = a[i] * b[i];
}

// ga or gb may be null when that input needs no gradient.
__global__ void mul_backward_kernel(const float* __restrict__ a, const float* __restrict__ b,
                                    const float* __restrict__ gy, float* __restrict__ ga, float* __restrict__ gb,
                                    int64_t n) {
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) {
    const float g = gy[i];
    if (ga) ga[i] = g * b[i];
    if (gb) gb[i] = g * a[i];
  }
}

void mul_forward(const float* a, const float* b, float* y, int64_t n, StreamHandle stream) {
  if (n > 0) launch(mul_forward_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), a, b, y, n);
}

void mul_backward(const float* a, const float* b, const float* gy, float* ga, float* gb, int64_t n, StreamHandle stream) {
  if (n > 0)
    launch(mul_backward_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), a, b, gy, ga, gb, n);
}

}  // namespace heatmark::HM_BACKEND
