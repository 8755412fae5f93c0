// ReLU: y = max(x, 0). Backward gx = gy where y > 0, else 0 (written). The
// backward reads the output y, so the input need not be kept.
#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

__global__ void relu_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n) {
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

__global__ void relu_backward_kernel(const float* __restrict__ y, const float* __restrict__ gy,
                                     float* __restrict__ gx, int64_t n) {
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) gx[i] = y[i] > 0.0f ? gy[i] : 0.0f;
}

void relu_forward(const float* x, float* y, int64_t n, StreamHandle stream) {
  if (n > 0) launch(relu_forward_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), x, y, n);
}

void relu_backward(const float* y, const float* gy, float* gx, int64_t n, StreamHandle stream) {
  if (n > 0)
    launch(relu_backward_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), y, gy, gx, n);
}

}  // namespace heatmark::HM_BACKEND
