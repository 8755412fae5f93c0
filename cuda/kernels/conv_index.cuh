// Index decompositions shared by the convolution kernels (conv2d,
// conv_transpose2d and the lab's versions): a flat index back to the
// coordinates it stands for, one named field at a time.
#pragma once

#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

// Pixel p = (n, h, w) of an image batch with H x W pixels per image.
struct PixelIndex {
  int64_t n, h, w;
};
__device__ inline PixelIndex pixel_index(int64_t p, int64_t H, int64_t W) {
  PixelIndex i;
  i.w = p % W;
  i.h = p / W % H;
  i.n = p / (W * H);
  return i;
}

// Tap k = (c, kh, kw) of a kernel with kH x kW taps per channel.
struct TapIndex {
  int64_t c, kh, kw;
};
__device__ inline TapIndex tap_index(int64_t k, int64_t kH, int64_t kW) {
  TapIndex t;
  t.kw = k % kW;
  t.kh = k / kW % kH;
  t.c = k / (kW * kH);
  return t;
}

// Element i = (n, c, h, w) of an NCHW tensor with C channels of H x W.
struct NchwIndex {
  int64_t n, c, h, w;
};
__device__ inline NchwIndex nchw_index(int64_t i, int64_t C, int64_t H, int64_t W) {
  NchwIndex e;
  e.w = i % W;
  e.h = i / W % H;
  e.c = i / (W * H) % C;
  e.n = i / (W * H * C);
  return e;
}

// xcol[k, p] of conv2d: the input under tap k = (ci, kh, kw) of output pixel
// p = (n, oh, ow), 0 in the padding, read straight from x (N, C_in, H, W):
// the implicit GEMM's B operand, with no im2col buffer.
__device__ inline float conv2d_input_column(const Conv2dShape& s, const float* x, int64_t k, int64_t p) {
  const TapIndex tap = tap_index(k, s.kH, s.kW);
  const PixelIndex out = pixel_index(p, s.OH, s.OW);
  const int64_t ih = out.h * s.stride - s.pad + tap.kh, iw = out.w * s.stride - s.pad + tap.kw;
  if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) return 0.0f;  // the padding
  return x[((out.n * s.C_in + tap.c) * s.H + ih) * s.W + iw];
}

}  // namespace heatmark::HM_BACKEND
