// CPU reference kernels: elementwise add, mul, scale, ReLU, and the helpers
// autograd uses to accumulate gradients.
//
// Gradient convention: activation gradients are written (=); accumulate()
// adds (+=) and is what parameter gradients use.
#pragma once

#include <cstdint>

#include "tensor/parallel.h"

namespace heatmark::cpu {

inline constexpr int64_t kElementwiseGrain = 1 << 15;

template <typename T, typename F>
void map_indices(int64_t n, const F& f) {
  parallel_for(0, n, kElementwiseGrain, [&](int64_t lo, int64_t hi) {
    // A private copy of the body (its pointers): stores through the output
    // then provably leave them alone, and the loop vectorises.
    const F body = f;
    for (int64_t i = lo; i < hi; ++i) body(i);
  });
}

template <typename T>
void fill(T* y, T value, int64_t n) {
  map_indices<T>(n, [=](int64_t i) { y[i] = value; });
}

// y = a + b. Backward: ga = gy, gb = gy (no kernel needed).
template <typename T>
void add_forward(const T* a, const T* b, T* y, int64_t n) {
  map_indices<T>(n, [=](int64_t i) { y[i] = a[i] + b[i]; });
}

// y = a * b
template <typename T>
void mul_forward(const T* a, const T* b, T* y, int64_t n) {
  map_indices<T>(n, [=](int64_t i) { y[i] = a[i] * b[i]; });
}

// ga = gy * b, gb = gy * a. Either output may be null when not wanted.
template <typename T>
void mul_backward(const T* a, const T* b, const T* gy, T* ga, T* gb, int64_t n) {
  map_indices<T>(n, [=](int64_t i) {
    if (ga) ga[i] = gy[i] * b[i];
    if (gb) gb[i] = gy[i] * a[i];
  });
}

// y = alpha * x. Backward: gx = alpha * gy, the same kernel.
template <typename T>
void scale_forward(const T* x, T alpha, T* y, int64_t n) {
  map_indices<T>(n, [=](int64_t i) { y[i] = alpha * x[i]; });
}

// y = max(x, 0)
template <typename T>
void relu_forward(const T* x, T* y, int64_t n) {
  map_indices<T>(n, [=](int64_t i) { y[i] = x[i] > T(0) ? x[i] : T(0); });
}

// gx = gy where the output was positive, else 0. Uses the output y, so the
// input need not be kept for backward.
template <typename T>
void relu_backward(const T* y, const T* gy, T* gx, int64_t n) {
  // gy is read unconditionally: a conditional load keeps the loop scalar and branchy.
  map_indices<T>(n, [=](int64_t i) {
    const T g = gy[i];
    gx[i] = y[i] > T(0) ? g : T(0);
  });
}

// y += x
template <typename T>
void accumulate(T* y, const T* x, int64_t n) {
  map_indices<T>(n, [=](int64_t i) { y[i] += x[i]; });
}

}  // namespace heatmark::cpu
