// CPU reference kernel: Gaussian heatmap targets.
//
// Coordinate convention (used everywhere in heatmark)
// -----------------------------------------------------
// Coordinates are continuous, with the origin at the top-left *corner* of
// the top-left pixel: pixel (row i, column j) covers [j, j+1) x [i, i+1) and
// its centre is at (x, y) = (j + 0.5, i + 0.5). Resizing an image by a factor
// f maps a point (x, y) to (f x, f y) exactly, with no half-pixel terms.
// Normalised coordinates divide by the map size: u = x / W, v = y / H, in
// [0, 1] across the whole map. So a point at normalised (u, v) is at
// (u * W_hm, v * H_hm) in heatmap pixels and (u * W_img, v * H_img) in the
// pixels of the (resized) input image.
//
// Gaussian targets: for landmark (x0, y0) in heatmap pixels,
//   target[i, j] = exp(-((j + 0.5 - x0)^2 + (i + 0.5 - y0)^2) / (2 sigma^2)),
// peak 1 at the landmark. A landmark outside [0, W) x [0, H), or with
// visibility 0, gives an all-zero map and weight 0; otherwise the weight is
// its visibility.
//
#pragma once

#include <cmath>

#include "base/op_shapes.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

// coords (N, K, 2) as (x, y) in heatmap pixels, visibility (N, K) ->
// target (N, K, H, W), weight (N, K).
template <typename T>
void render_gaussian_heatmaps(const HeatmapShape& s, const T* coords, const T* visibility, double sigma, T* target,
                              T* weight) {
  parallel_items(s.N * s.K, [&](int64_t nk) {
    const double x0 = coords[2 * nk], y0 = coords[2 * nk + 1];
    const bool inside = x0 >= 0 && x0 < s.W && y0 >= 0 && y0 < s.H;  // false for NaN too
    const double w = inside ? static_cast<double>(visibility[nk]) : 0.0;
    weight[nk] = static_cast<T>(w);
    T* map = target + nk * s.H * s.W;
    for (int64_t i = 0; i < s.H; ++i)
      for (int64_t j = 0; j < s.W; ++j) {
        const double dx = j + 0.5 - x0, dy = i + 0.5 - y0;
        map[i * s.W + j] = w > 0 ? static_cast<T>(std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma))) : T(0);
      }
  });
}

}  // namespace heatmark::cpu
