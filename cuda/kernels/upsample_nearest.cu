// Nearest-neighbour upsampling by an integer factor f: x (N, C, H, W) -> y (N, C, H*f, W*f),
// y[oh, ow] = x[oh / f, ow / f].
// Backward (written): gx[h, w] = sum of gy over its f x f block. Both are
// gathers, one thread per output element: no atomics, deterministic.
#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

__global__ void upsample_nearest_forward_kernel(UpsampleShape s, const float* __restrict__ x, float* __restrict__ y) {
  const int64_t fh = s.OH / s.H, fw = s.OW / s.W, total = s.N * s.C * s.OH * s.OW;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t ow = i % s.OW, oh = i / s.OW % s.OH, plane = i / (s.OW * s.OH);
    y[i] = x[(plane * s.H + oh / fh) * s.W + ow / fw];
  }
}

__global__ void upsample_nearest_backward_kernel(UpsampleShape s, const float* __restrict__ gy,
                                                 float* __restrict__ gx) {
  const int64_t fh = s.OH / s.H, fw = s.OW / s.W, total = s.N * s.C * s.H * s.W;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t w = i % s.W, h = i / s.W % s.H, plane = i / (s.W * s.H);
    const float* g = gy + (plane * s.OH + h * fh) * s.OW + w * fw;
    float acc = 0.0f;
    for (int64_t a = 0; a < fh; ++a)
      for (int64_t b = 0; b < fw; ++b) acc += g[a * s.OW + b];
    gx[i] = acc;
  }
}

void upsample_nearest_forward(const UpsampleShape& s, const float* x, float* y, StreamHandle stream) {
  const int64_t n = s.N * s.C * s.OH * s.OW;
  if (n > 0) launch(upsample_nearest_forward_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, x, y);
}

void upsample_nearest_backward(const UpsampleShape& s, const float* gy, float* gx, StreamHandle stream) {
  const int64_t n = s.N * s.C * s.H * s.W;
  if (n > 0)
    launch(upsample_nearest_backward_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, gy, gx);
}

}  // namespace heatmark::HM_BACKEND
