// CPU reference kernel: the spatial soft-argmax (coordinate convention:
// tensor/cpu/render_gaussian_heatmaps.h).
//
// Spatial soft-argmax: p = softmax(beta * h) over the H*W pixels of one map,
//   u = sum p[i, j] (j + 0.5) / W,   v = sum p[i, j] (i + 0.5) / H.
// Backward: dL/dh[i, j] = beta * p[i, j] * (gu * ((j + 0.5)/W - u) + gv * ((i + 0.5)/H - v)).
//
// The temperature beta. With a target peak of 1 and sigma = 3 heatmap pixels,
// exp(beta * h) near the peak is a Gaussian of width sigma / sqrt(beta):
//   - beta too small leaves the far pixels a real share of the mass (each far
//     pixel weighs exp(0) against exp(beta) at the peak; 36864 pixels of a
//     192 x 192 map equal the peak at beta = 10.5), pulling the estimate to the
//     centre of the map;
//   - beta too large narrows the peak below a pixel, and the expectation snaps
//     towards pixel centres (an argmax).
// The default defaults::kSoftArgmaxBeta = 20 (base/defaults.h) sits between: the far-field share
// is 36864 / e^20 ~ 1e-4, and sigma / sqrt(20) = 0.67 px keeps sub-pixel
// precision (a rendered Gaussian comes back within 0.05 px; tested). It is
// also the value the reference PyTorch trainer found best (1.67 mm; beta 10
// gave 14.9 mm). Smaller sigma calls for a smaller beta.
#pragma once

#include <algorithm>
#include <cmath>

#include "base/op_shapes.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

// heatmaps (N, K, H, W) -> coords (N, K, 2) normalised to [0, 1].
template <typename T>
void soft_argmax_forward(const HeatmapShape& s, const T* heatmaps, double beta, T* coords) {
  parallel_items(s.N * s.K, [&](int64_t nk) {
    const T* h = heatmaps + nk * s.H * s.W;
    double peak = h[0];
    for (int64_t p = 1; p < s.H * s.W; ++p) peak = std::max(peak, static_cast<double>(h[p]));
    double total = 0, sx = 0, sy = 0;
    for (int64_t i = 0; i < s.H; ++i)
      for (int64_t j = 0; j < s.W; ++j) {
        const double e = std::exp(beta * (h[i * s.W + j] - peak));  // stable: exponents <= 0
        total += e;
        sx += e * (j + 0.5) / s.W;
        sy += e * (i + 0.5) / s.H;
      }
    coords[2 * nk] = static_cast<T>(sx / total);
    coords[2 * nk + 1] = static_cast<T>(sy / total);
  });
}

// g_coords (N, K, 2) -> g_heatmaps (N, K, H, W), written. Recomputes p from
// the heatmaps and uses the forward's coords.
template <typename T>
void soft_argmax_backward(const HeatmapShape& s, const T* heatmaps, const T* coords, const T* g_coords, double beta,
                          T* g_heatmaps) {
  parallel_items(s.N * s.K, [&](int64_t nk) {
    const T* h = heatmaps + nk * s.H * s.W;
    T* g = g_heatmaps + nk * s.H * s.W;
    double peak = h[0];
    for (int64_t p = 1; p < s.H * s.W; ++p) peak = std::max(peak, static_cast<double>(h[p]));
    double total = 0;
    for (int64_t p = 0; p < s.H * s.W; ++p) total += std::exp(beta * (h[p] - peak));
    const double u = coords[2 * nk], v = coords[2 * nk + 1], gu = g_coords[2 * nk], gv = g_coords[2 * nk + 1];
    for (int64_t i = 0; i < s.H; ++i)
      for (int64_t j = 0; j < s.W; ++j) {
        const double p = std::exp(beta * (h[i * s.W + j] - peak)) / total;
        g[i * s.W + j] = static_cast<T>(beta * p * (gu * ((j + 0.5) / s.W - u) + gv * ((i + 0.5) / s.H - v)));
      }
  });
}

}  // namespace heatmark::cpu
