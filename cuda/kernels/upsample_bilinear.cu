// Bilinear resizing, PyTorch's align_corners=False convention:
// x (N, C, H, W) -> y (N, C, OH, OW). Output pixel centres map to input
// coordinates src = (dst + 0.5) * in/out - 0.5, clamped below at 0, and each
// output interpolates its two nearest inputs per axis.
//
// Backward (written) as a gather, one thread per input pixel: it visits the
// few output pixels whose taps can reach it and adds weight * gy for the
// taps that do. Exactly the adjoint of the forward, with no atomics.
#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

// One axis of the interpolation for output index dst.
struct Tap {
  int64_t i0, i1;
  float w0, w1;
};

__device__ inline Tap bilinear_tap(int64_t dst, int64_t in_size, int64_t out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  float src = (static_cast<float>(dst) + 0.5f) * scale - 0.5f;
  src = src < 0.0f ? 0.0f : src;
  int64_t i0 = static_cast<int64_t>(src);
  i0 = i0 < in_size - 1 ? i0 : in_size - 1;
  const int64_t i1 = i0 + 1 < in_size - 1 ? i0 + 1 : in_size - 1;
  const float w1 = src - static_cast<float>(i0);
  return {i0, i1, 1.0f - w1, w1};
}

// The weight with which input index i contributes to output index dst.
__device__ inline float tap_weight(const Tap& t, int64_t i) {
  return (t.i0 == i ? t.w0 : 0.0f) + (t.i1 == i ? t.w1 : 0.0f);
}

// Outputs [first, last] whose taps can include input index i (with a margin
// of one on each side for rounding).
__device__ inline void reaching_outputs(int64_t i, int64_t in_size, int64_t out_size, int64_t& first, int64_t& last) {
  const float inv_scale = static_cast<float>(out_size) / static_cast<float>(in_size);
  first = static_cast<int64_t>((static_cast<float>(i) - 0.5f) * inv_scale - 0.5f) - 1;
  last = static_cast<int64_t>((static_cast<float>(i) + 1.5f) * inv_scale - 0.5f) + 1;
  first = first < 0 ? 0 : first;
  last = last > out_size - 1 ? out_size - 1 : last;
}

__global__ void upsample_bilinear_forward_kernel(UpsampleShape s, const float* __restrict__ x, float* __restrict__ y) {
  const int64_t total = s.N * s.C * s.OH * s.OW;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t ow = i % s.OW, oh = i / s.OW % s.OH, plane = i / (s.OW * s.OH);
    const Tap th = bilinear_tap(oh, s.H, s.OH), tw = bilinear_tap(ow, s.W, s.OW);
    const float* xp = x + plane * s.H * s.W;
    y[i] = th.w0 * (tw.w0 * xp[th.i0 * s.W + tw.i0] + tw.w1 * xp[th.i0 * s.W + tw.i1]) +
           th.w1 * (tw.w0 * xp[th.i1 * s.W + tw.i0] + tw.w1 * xp[th.i1 * s.W + tw.i1]);
  }
}

__global__ void upsample_bilinear_backward_kernel(UpsampleShape s, const float* __restrict__ gy,
                                                  float* __restrict__ gx) {
  const int64_t total = s.N * s.C * s.H * s.W;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t w = i % s.W, h = i / s.W % s.H, plane = i / (s.W * s.H);
    int64_t oh0, oh1, ow0, ow1;
    reaching_outputs(h, s.H, s.OH, oh0, oh1);
    reaching_outputs(w, s.W, s.OW, ow0, ow1);
    const float* g = gy + plane * s.OH * s.OW;
    float acc = 0.0f;
    for (int64_t oh = oh0; oh <= oh1; ++oh) {
      const float wh = tap_weight(bilinear_tap(oh, s.H, s.OH), h);
      if (wh == 0.0f) continue;
      float row = 0.0f;
      for (int64_t ow = ow0; ow <= ow1; ++ow) row += tap_weight(bilinear_tap(ow, s.W, s.OW), w) * g[oh * s.OW + ow];
      acc += wh * row;
    }
    gx[i] = acc;
  }
}

void upsample_bilinear_forward(const UpsampleShape& s, const float* x, float* y, StreamHandle stream) {
  const int64_t n = s.N * s.C * s.OH * s.OW;
  if (n > 0)
    launch(upsample_bilinear_forward_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, x, y);
}

void upsample_bilinear_backward(const UpsampleShape& s, const float* gy, float* gx, StreamHandle stream) {
  const int64_t n = s.N * s.C * s.H * s.W;
  if (n > 0)
    launch(upsample_bilinear_backward_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, gy, gx);
}

}  // namespace heatmark::HM_BACKEND
