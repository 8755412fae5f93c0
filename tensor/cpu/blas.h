// A thin row-major GEMM wrapper over OpenBLAS (always called single-threaded,
// from inside our own parallel loops; see tensor/parallel.h).
//   C(M, N) = alpha * op(A)(M, K) * op(B)(K, N) + beta * C
#pragma once

#include <cblas.h>

#include <cstdint>

namespace heatmark::cpu {

inline void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, A,
              static_cast<int>(lda), B, static_cast<int>(ldb), beta, C, static_cast<int>(ldc));
}

}  // namespace heatmark::cpu
