// The float matmul on the rows micro-kernel (tile_kernels.h): a product
// C(M, N) = A(M, K) B(K, N) is a rows grid with K channels of one tap, where
// the rows are C's rows and q runs along a row of C. A is packed; B is read
// in place from a copy with readable slack after it (the tiles load whole
// vectors past the last column).
#include <algorithm>
#include <cstring>

#include "tensor/cpu/matmul.h"
#include "tensor/cpu/tile_grid.h"

namespace heatmark::cpu {

namespace {

// c(M, N) = sum_k weight(m, k) * b(k, q), b (K, N) row-major.
template <typename Weight>
void rows_product(int64_t M, int64_t K, int64_t N, Weight&& weight, const float* b, float* c) {
  const TileKernels& k = tile_kernels();
  float* b_copy = scratch(Scratch::Planes, K * N + kTileSlack);
  std::memcpy(b_copy, b, K * N * sizeof(float));
  std::fill(b_copy + K * N, b_copy + K * N + kTileSlack, 0.0f);
  float* a = scratch(Scratch::Packed, packed_rows_a_floats(M, K, 1, k.rows_mr));
  pack_rows_a(M, K, 1, k.rows_mr, [&](int64_t m, int64_t kk, int64_t) { return weight(m, kk); }, a);
  static const int64_t kNoShift = 0;
  run_rows_grids({{M, K, 1, &kNoShift, N, a, b_copy, c, N, 0, N}}, k);
}

}  // namespace

void matmul_forward_tiled(const float* a, const float* b, float* y, int64_t M, int64_t K, int64_t N) {
  rows_product(M, K, N, [&](int64_t m, int64_t k) { return a[m * K + k]; }, b, y);
}

void matmul_backward_tiled(const float* a, const float* b, const float* gy, float* ga, float* gb, int64_t M,
                           int64_t K, int64_t N) {
  if (ga) {  // ga(M, K) = gy(M, N) b^T(N, K)
    float* bt = scratch(Scratch::Transposed, N * K);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) bt[j * K + k] = b[k * N + j];
    rows_product(M, N, K, [&](int64_t m, int64_t j) { return gy[m * N + j]; }, bt, ga);
  }
  if (gb)  // gb(K, N) = a^T(K, M) gy(M, N)
    rows_product(K, M, N, [&](int64_t k, int64_t m) { return a[m * K + k]; }, gy, gb);
}

}  // namespace heatmark::cpu
