// Channel concatenation of NCHW tensors, built from one copy primitive:
// concat_channels puts a (N, C_src, HW) block at channel `offset` of a
// (N, C_dst, HW) tensor (the forward, once per input); slice_channels
// takes it back out (the backward: the gradient of each input, written).
#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

// dst[n, offset + c, p] = src[n, c, p], one thread per source element.
__global__ void concat_channels_kernel(const float* __restrict__ src, float* __restrict__ dst, int64_t N,
                                       int64_t C_src, int64_t C_dst, int64_t offset, int64_t HW) {
  const int64_t block = C_src * HW, total = N * block;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t n = i / block;
    dst[(n * C_dst + offset) * HW + i % block] = src[i];
  }
}

// dst[n, c, p] = src[n, offset + c, p], one thread per destination element.
__global__ void slice_channels_kernel(const float* __restrict__ src, float* __restrict__ dst, int64_t N,
                                      int64_t C_src, int64_t C_dst, int64_t offset, int64_t HW) {
  const int64_t block = C_dst * HW, total = N * block;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t n = i / block;
    dst[i] = src[(n * C_src + offset) * HW + i % block];
  }
}

void concat_channels(const float* src, float* dst, int64_t N, int64_t C_src, int64_t C_dst, int64_t offset,
                     int64_t HW, StreamHandle stream) {
  const int64_t n = N * C_src * HW;
  if (n > 0)
    launch(concat_channels_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), src, dst, N,
           C_src, C_dst, offset, HW);
}

void slice_channels(const float* src, float* dst, int64_t N, int64_t C_src, int64_t C_dst, int64_t offset,
                    int64_t HW, StreamHandle stream) {
  const int64_t n = N * C_dst * HW;
  if (n > 0)
    launch(slice_channels_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), src, dst, N,
           C_src, C_dst, offset, HW);
}

}  // namespace heatmark::HM_BACKEND
