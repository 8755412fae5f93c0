// Matrix product y (M, N) = a (M, K) b (K, N), row-major, and its backward
// ga = gy b^T, gb = a^T gy (both written).
//
// One tiled shared-memory GEMM serves all three products, with either operand
// read transposed. Each 16x16 block computes a 16x16 tile of the output: per
// step along K it stages a 16x16 tile of each operand in shared memory (one
// element per thread), synchronises, and accumulates 16 products per thread
// from shared memory. The +1 column of padding keeps the column reads of
// b_tile free of bank conflicts.
#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

inline constexpr int kGemmTile = 16;

// c (M, N) = op(a) (M, K) * op(b) (K, N), where op transposes when asked.
// Leading dimensions are those of the stored (untransposed) matrices.
__global__ void gemm_tiled_kernel(int64_t M, int64_t N, int64_t K, const float* __restrict__ a, int64_t lda,
                                  bool transpose_a, const float* __restrict__ b, int64_t ldb, bool transpose_b,
                                  float* __restrict__ c, int64_t ldc) {
  __shared__ float a_tile[kGemmTile][kGemmTile + 1];
  __shared__ float b_tile[kGemmTile][kGemmTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t row = int64_t(blockIdx.y) * kGemmTile + ty;
  const int64_t col = int64_t(blockIdx.x) * kGemmTile + tx;
  float acc = 0.0f;
  for (int64_t k0 = 0; k0 < K; k0 += kGemmTile) {
    const int64_t ka = k0 + tx, kb = k0 + ty;
    a_tile[ty][tx] = row < M && ka < K ? (transpose_a ? a[ka * lda + row] : a[row * lda + ka]) : 0.0f;
    b_tile[ty][tx] = kb < K && col < N ? (transpose_b ? b[col * ldb + kb] : b[kb * ldb + col]) : 0.0f;
    __syncthreads();  // the tiles are complete
    for (int k = 0; k < kGemmTile; ++k) acc += a_tile[ty][k] * b_tile[k][tx];
    __syncthreads();  // everyone is done reading before the next step overwrites them
  }
  if (row < M && col < N) c[row * ldc + col] = acc;
}

namespace {
void gemm(int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, bool ta, const float* b, int64_t ldb, bool tb,
          float* c, int64_t ldc, StreamHandle stream) {
  if (M == 0 || N == 0) return;
  const dim3 block(kGemmTile, kGemmTile);
  const dim3 grid(static_cast<unsigned>((N + kGemmTile - 1) / kGemmTile),
                  static_cast<unsigned>((M + kGemmTile - 1) / kGemmTile));
  launch(gemm_tiled_kernel, grid, block, 0, static_cast<cudaStream_t>(stream), M, N, K, a, lda, ta, b, ldb, tb, c,
         ldc);
}
}  // namespace

void matmul_forward(const float* a, const float* b, float* y, int64_t M, int64_t K, int64_t N, StreamHandle stream) {
  gemm(M, N, K, a, K, false, b, N, false, y, N, stream);
}

void matmul_backward(const float* a, const float* b, const float* gy, float* ga, float* gb, int64_t M, int64_t K,
                     int64_t N, StreamHandle stream) {
  if (ga) gemm(M, K, N, gy, N, false, b, N, true, ga, K, stream);  // ga (M, K) = gy (M, N) b^T (N, K)
  if (gb) gemm(K, N, M, a, K, true, gy, N, false, gb, N, stream);  // gb (K, N) = a^T (K, M) gy (M, N)
}

}  // namespace heatmark::HM_BACKEND
