#include "tensor/cpu/blas.h"
#include "tensor/cpu/matmul.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

namespace {
constexpr int64_t kRowBlock = 64;  // rows of the output per work item
}

void matmul_forward_blas(const float* a, const float* b, float* y, int64_t M, int64_t K, int64_t N) {
  parallel_for(0, M, kRowBlock, [&](int64_t lo, int64_t hi) {
    gemm(false, false, hi - lo, N, K, 1.0f, a + lo * K, K, b, N, 0.0f, y + lo * N, N);
  });
}

void matmul_backward_blas(const float* a, const float* b, const float* gy, float* ga, float* gb,
                          int64_t M, int64_t K, int64_t N) {
  if (ga) {  // ga(M, K) = gy(M, N) b(K, N)^T, blocked over rows of ga
    parallel_for(0, M, kRowBlock, [&](int64_t lo, int64_t hi) {
      gemm(false, true, hi - lo, K, N, 1.0f, gy + lo * N, N, b, N, 0.0f, ga + lo * K, K);
    });
  }
  if (gb) {  // gb(K, N) = a(M, K)^T gy(M, N), blocked over rows of gb
    parallel_for(0, K, kRowBlock, [&](int64_t lo, int64_t hi) {
      gemm(true, false, hi - lo, N, M, 1.0f, a + lo, K, gy, N, 0.0f, gb + lo * N, N);
    });
  }
}

}  // namespace heatmark::cpu
