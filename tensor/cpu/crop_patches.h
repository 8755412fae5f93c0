// CPU reference kernel: crop_patches, small patches sampled from a batch of
// images through one affine map each (no backward: images are data).
//
// images (B, C, H, W), patches (N, 7) -> out (N, C, OH, OW). Row n of patches
// is [b, a, bb, c, d, e, f]: the index b of the image to sample (an integer
// stored as a float) and the affine map from patch pixel coordinates to image
// pixel coordinates,
//   x_src = a x + bb y + c,   y_src = d x + e y + f,
// both in the corner-origin convention of tensor/cpu/render_gaussian_heatmaps.h.
// Output pixel (i, j) samples image b bilinearly at the image point of its
// centre (x, y) = (j + 0.5, i + 0.5). In pixel-index space, where the centre
// of image pixel (row r, column q) is the integer point (q, r), that point is
//   u = x_src - 0.5,  v = y_src - 0.5,
// and with u0 = floor(u), v0 = floor(v), fx = u - u0, fy = v - v0,
//   out[n, ch, i, j] = (1 - fy) ((1 - fx) I[v0, u0]     + fx I[v0, u0 + 1])
//                    +      fy  ((1 - fx) I[v0 + 1, u0] + fx I[v0 + 1, u0 + 1]),
// I = images[b, ch], where taps outside the image read `fill`. This is
// warp_bilinear (data/geometry.h) with the inverse of its map, batched.
//
// The dispatch (tensor/dispatch/crop_patches.cpp) has checked every row: b an
// integer in [0, B) and the affine finite.
#pragma once

#include <cmath>
#include <cstdint>

#include "base/op_shapes.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

// Pixel (x, y) of one channel plane (H, W), or `fill` outside it.
template <typename T>
double tap_or_fill(const T* plane, int64_t H, int64_t W, int64_t x, int64_t y, double fill) {
  return x >= 0 && x < W && y >= 0 && y < H ? static_cast<double>(plane[y * W + x]) : fill;
}

// The bilinear sample of a plane at the pixel-index point (u, v).
template <typename T>
double sample_bilinear(const T* plane, int64_t H, int64_t W, double u, double v, double fill) {
  // Every tap is outside: the sample is all fill. Returning early also keeps
  // far-away (huge) coordinates out of the integer conversions below.
  if (!(u > -1 && u < W && v > -1 && v < H)) return fill;
  const double u0 = std::floor(u), v0 = std::floor(v), fx = u - u0, fy = v - v0;
  const int64_t x0 = static_cast<int64_t>(u0), y0 = static_cast<int64_t>(v0);
  auto tap = [&](int64_t x, int64_t y) { return tap_or_fill(plane, H, W, x, y, fill); };
  return (1 - fy) * ((1 - fx) * tap(x0, y0) + fx * tap(x0 + 1, y0)) +
         fy * ((1 - fx) * tap(x0, y0 + 1) + fx * tap(x0 + 1, y0 + 1));
}

template <typename T>
void crop_patches(const CropPatchesShape& s, const T* images, const T* patches, double fill, T* out) {
  parallel_items(s.N, [&](int64_t n) {
    const T* row = patches + n * kPatchRowSize;
    const T* image = images + static_cast<int64_t>(row[0]) * s.C * s.H * s.W;
    const double a = row[1], bb = row[2], c = row[3], d = row[4], e = row[5], f = row[6];
    T* patch = out + n * s.C * s.OH * s.OW;
    for (int64_t i = 0; i < s.OH; ++i)
      for (int64_t j = 0; j < s.OW; ++j) {
        const double x = j + 0.5, y = i + 0.5;
        const double u = a * x + bb * y + c - 0.5, v = d * x + e * y + f - 0.5;
        for (int64_t ch = 0; ch < s.C; ++ch) {
          const double value = sample_bilinear(image + ch * s.H * s.W, s.H, s.W, u, v, fill);
          patch[(ch * s.OH + i) * s.OW + j] = static_cast<T>(value);
        }
      }
  });
}

}  // namespace heatmark::cpu
