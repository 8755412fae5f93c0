// CPU reference kernels: upsampling x (N, C, H, W) -> y (N, C, OH, OW).
//
// Nearest: an integer factor f (OH = H*f, OW = W*f); y[oh, ow] = x[oh / f, ow / f].
// Bilinear: any output size, PyTorch's align_corners=False convention. Output
//   pixel centres map back to input coordinates src = (dst + 0.5) * in/out - 0.5,
//   clamped below at 0; the sample interpolates the two nearest inputs per axis.
//
// Gradient convention: gx is written (=). Each backward is the exact adjoint
// of its forward, computed per (n, c) plane in a fixed order (deterministic).
#pragma once

#include <algorithm>
#include <cstdint>

#include "base/op_shapes.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

template <typename T>
void upsample_nearest_forward(const UpsampleShape& s, const T* x, T* y) {
  const int64_t fh = s.OH / s.H, fw = s.OW / s.W;
  parallel_items(s.N * s.C, [&](int64_t plane) {
    const T* xp = x + plane * s.H * s.W;
    T* yp = y + plane * s.OH * s.OW;
    for (int64_t oh = 0; oh < s.OH; ++oh)
      for (int64_t ow = 0; ow < s.OW; ++ow) yp[oh * s.OW + ow] = xp[(oh / fh) * s.W + ow / fw];
  });
}

template <typename T>
void upsample_nearest_backward(const UpsampleShape& s, const T* gy, T* gx) {
  const int64_t fh = s.OH / s.H, fw = s.OW / s.W;
  parallel_items(s.N * s.C, [&](int64_t plane) {
    const T* gyp = gy + plane * s.OH * s.OW;
    T* gxp = gx + plane * s.H * s.W;
    for (int64_t h = 0; h < s.H; ++h)
      for (int64_t w = 0; w < s.W; ++w) {
        T acc = 0;
        for (int64_t i = 0; i < fh; ++i)
          for (int64_t j = 0; j < fw; ++j) acc += gyp[(h * fh + i) * s.OW + w * fw + j];
        gxp[h * s.W + w] = acc;
      }
  });
}

// One axis of bilinear sampling: output index -> (i0, i1, weight0, weight1).
struct BilinearTap {
  int64_t i0, i1;
  double w0, w1;
};

inline BilinearTap bilinear_tap(int64_t dst, int64_t in_size, int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double src = std::max(0.0, (static_cast<double>(dst) + 0.5) * scale - 0.5);
  const int64_t i0 = std::min(static_cast<int64_t>(src), in_size - 1);
  const int64_t i1 = std::min(i0 + 1, in_size - 1);
  const double frac = src - static_cast<double>(i0);
  return {i0, i1, 1.0 - frac, frac};
}

template <typename T>
void upsample_bilinear_forward(const UpsampleShape& s, const T* x, T* y) {
  parallel_items(s.N * s.C, [&](int64_t plane) {
    const T* xp = x + plane * s.H * s.W;
    T* yp = y + plane * s.OH * s.OW;
    for (int64_t oh = 0; oh < s.OH; ++oh) {
      const BilinearTap th = bilinear_tap(oh, s.H, s.OH);
      for (int64_t ow = 0; ow < s.OW; ++ow) {
        const BilinearTap tw = bilinear_tap(ow, s.W, s.OW);
        const double v = th.w0 * (tw.w0 * xp[th.i0 * s.W + tw.i0] + tw.w1 * xp[th.i0 * s.W + tw.i1]) +
                         th.w1 * (tw.w0 * xp[th.i1 * s.W + tw.i0] + tw.w1 * xp[th.i1 * s.W + tw.i1]);
        yp[oh * s.OW + ow] = static_cast<T>(v);
      }
    }
  });
}

template <typename T>
void upsample_bilinear_backward(const UpsampleShape& s, const T* gy, T* gx) {
  parallel_items(s.N * s.C, [&](int64_t plane) {
    const T* gyp = gy + plane * s.OH * s.OW;
    T* gxp = gx + plane * s.H * s.W;
    std::fill(gxp, gxp + s.H * s.W, T(0));
    for (int64_t oh = 0; oh < s.OH; ++oh) {
      const BilinearTap th = bilinear_tap(oh, s.H, s.OH);
      for (int64_t ow = 0; ow < s.OW; ++ow) {
        const BilinearTap tw = bilinear_tap(ow, s.W, s.OW);
        const double g = gyp[oh * s.OW + ow];
        gxp[th.i0 * s.W + tw.i0] += static_cast<T>(th.w0 * tw.w0 * g);
        gxp[th.i0 * s.W + tw.i1] += static_cast<T>(th.w0 * tw.w1 * g);
        gxp[th.i1 * s.W + tw.i0] += static_cast<T>(th.w1 * tw.w0 * g);
        gxp[th.i1 * s.W + tw.i1] += static_cast<T>(th.w1 * tw.w1 * g);
      }
    }
  });
}

}  // namespace heatmark::cpu
