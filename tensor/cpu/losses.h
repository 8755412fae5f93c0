// CPU reference kernels: the training losses.
//
// Heatmap MSE with per-landmark weights, a mean over every heatmap pixel:
//   L_h = sum_{n,k,i,j} w[n,k] (pred - target)^2 / (N K H W)
//   dL_h/dpred = 2 w[n,k] (pred - target) / (N K H W)
// Coordinate L1 with per-landmark weights, a mean over the N K 2 coordinates:
//   L_c = sum_{n,k,d} w[n,k] |pred - true| / (2 N K)
//   dL_c/dpred = w[n,k] sign(pred - true) / (2 N K)     (sign(0) = 0)
// Buffers: pred, target (N, K, H, W) or (N, K, 2); w (N, K). The backward
// kernels take the scalar output gradient g and write g * dL/dpred.
// The combined loss w_h L_h + w_c L_c is composed with autograd (ops.h).
// Sums run per (n, k) in double, then over (n, k) in order: deterministic.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "tensor/parallel.h"

namespace heatmark::cpu {

// maps = N*K maps of `per_map` values each.
template <typename T>
double weighted_mse_forward(const T* pred, const T* target, const T* weight, int64_t maps, int64_t per_map) {
  std::vector<double> partial(maps);
  parallel_items(maps, [&](int64_t m) {
    double s = 0;
    for (int64_t i = m * per_map; i < (m + 1) * per_map; ++i) {
      const double d = static_cast<double>(pred[i]) - target[i];
      s += d * d;
    }
    partial[m] = weight[m] * s;
  });
  double total = 0;
  for (double s : partial) total += s;
  return total / static_cast<double>(maps * per_map);
}

template <typename T>
void weighted_mse_backward(const T* pred, const T* target, const T* weight, int64_t maps, int64_t per_map, double g,
                           T* grad) {
  const double k = 2.0 * g / static_cast<double>(maps * per_map);
  parallel_items(maps, [&](int64_t m) {
    for (int64_t i = m * per_map; i < (m + 1) * per_map; ++i)
      grad[i] = static_cast<T>(k * weight[m] * (static_cast<double>(pred[i]) - target[i]));
  });
}

// points = N*K landmarks of 2 coordinates each.
template <typename T>
double weighted_l1_forward(const T* pred, const T* truth, const T* weight, int64_t points) {
  double total = 0;
  for (int64_t p = 0; p < points; ++p)
    total += weight[p] * (std::abs(static_cast<double>(pred[2 * p]) - truth[2 * p]) +
                          std::abs(static_cast<double>(pred[2 * p + 1]) - truth[2 * p + 1]));
  return total / static_cast<double>(2 * points);
}

template <typename T>
void weighted_l1_backward(const T* pred, const T* truth, const T* weight, int64_t points, double g, T* grad) {
  const double k = g / static_cast<double>(2 * points);
  for (int64_t i = 0; i < 2 * points; ++i) {
    const double d = static_cast<double>(pred[i]) - truth[i];
    grad[i] = static_cast<T>(k * weight[i / 2] * ((d > 0) - (d < 0)));
  }
}

}  // namespace heatmark::cpu
