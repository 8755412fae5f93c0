// Elementwise arithmetic: fill, add, scale, accumulate.
// One thread per element in a grid-stride loop; memory-bound, so the only
// goal is coalesced access (consecutive threads touch consecutive floats).
//
// Gradient convention: add's backward passes the output gradient through
// (no kernel); scale's backward is scale_forward with the same alpha;
// accumulate (y += x) is how gradients are summed.
#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

__global__ void fill_kernel(float* __restrict__ y, float value, int64_t n) {
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) y[i] = value;
}

__global__ void add_kernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y, int64_t n) {
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) y[i] = a[i] + b[i];
}

__global__ void scale_kernel(const float* __restrict__ x, float alpha, float* __restrict__ y, int64_t n) {
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) y[i] = alpha * x[i];
}

__global__ void accumulate_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t n) {
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) y[i] += x[i];
}

void fill(float* y, float value, int64_t n, StreamHandle stream) {
  if (n > 0) launch(fill_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), y, value, n);
}

void add_forward(const float* a, const float* b, float* y, int64_t n, StreamHandle stream) {
  if (n > 0) launch(add_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), a, b, y, n);
}

void scale_forward(const float* x, float alpha, float* y, int64_t n, StreamHandle stream) {
  if (n > 0) launch(scale_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), x, alpha, y, n);
}

void accumulate(float* y, const float* x, int64_t n, StreamHandle stream) {
  if (n > 0) launch(accumulate_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), y, x, n);
}

}  // namespace heatmark::HM_BACKEND
