// CPU reference kernels: matrix product y(M, N) = a(M, K) b(K, N), row-major.
//
// These plain loops are the ground truth (and the double path of the gradient
// checks). The float path of the CPU backend runs the rows micro-kernel of
// tile_kernels.h, see matmul_tiled.cpp.
// Gradient convention: ga = gy b^T and gb = a^T gy are written (=).
#pragma once

#include <cstdint>

namespace heatmark::cpu {

template <typename T>
void matmul_forward(const T* a, const T* b, T* y, int64_t M, int64_t K, int64_t N) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) y[i * N + j] = T(0);
    for (int64_t k = 0; k < K; ++k) {
      const T aik = a[i * K + k];
      for (int64_t j = 0; j < N; ++j) y[i * N + j] += aik * b[k * N + j];
    }
  }
}

// Either gradient may be null when not wanted.
template <typename T>
void matmul_backward(const T* a, const T* b, const T* gy, T* ga, T* gb, int64_t M, int64_t K,
                     int64_t N) {
  if (ga) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < K; ++k) {
        T s = 0;
        for (int64_t j = 0; j < N; ++j) s += gy[i * N + j] * b[k * N + j];
        ga[i * K + k] = s;
      }
  }
  if (gb) {
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) gb[k * N + j] = T(0);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < K; ++k) {
        const T aik = a[i * K + k];
        for (int64_t j = 0; j < N; ++j) gb[k * N + j] += aik * gy[i * N + j];
      }
  }
}

// The float path (matmul_tiled.cpp): the rows micro-kernel over the output.
void matmul_forward_tiled(const float* a, const float* b, float* y, int64_t M, int64_t K, int64_t N);
void matmul_backward_tiled(const float* a, const float* b, const float* gy, float* ga, float* gb,
                           int64_t M, int64_t K, int64_t N);

}  // namespace heatmark::cpu
