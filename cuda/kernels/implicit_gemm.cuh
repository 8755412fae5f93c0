// A register-blocked, shared-memory tiled GEMM whose operands are generated on
// the fly by a "problem" object: the engine behind every convolution kernel.
//
//   C[m, n] = sum over k in this block's K range of  A(m, k) * B(k, n)
//
// The problem supplies
//   __device__ float a(int64_t m, int64_t k) const;   // e.g. a weight
//   __device__ float b(int64_t k, int64_t n) const;   // e.g. an input pixel under a filter tap (implicit im2col)
//   __device__ void store(int64_t m, int64_t n, int split, float value) const;
//   static constexpr bool kBContiguousAlongK;   // B's contiguous axis in memory is k, not n
// so a convolution never materialises its lowered (im2col) matrix.
//
// Tiling: a block of 256 threads computes a BM x 64 tile of C (BM is 64, or
// 32 when M, the output channels, is at most 32: HRNet's 18- and 32-channel
// branches would leave half or more of a 64-row tile idle). Per step of 8
// along K it stages a BM x 8 tile of A and an 8 x 64 tile of B in shared
// memory, then every thread accumulates its BM/16 x 4 sub-tile in registers:
// 16 (or 8) multiply-adds per 8 (or 6) shared-memory reads.
//
// Memory access (measured with the emulator's memory model, cuda/lab/):
//   - staging walks the operand's contiguous axis with consecutive threads,
//     so a warp's loads are coalesced (for B that axis is n, or k where the
//     problem says so: the weight gradient's pixels);
//   - the tiles' rows are padded by 4 floats, so the lanes of a warp that
//     write one column of a tile (8 k-steps x 4 rows) fall in 32 different
//     banks instead of 8-way conflicts;
//   - a thread's 4 x 4 sub-tile is strided by 16 along m and n, not
//     contiguous: the 16 threads of a half-warp then read 16 consecutive
//     words of b_tile (no conflict) and store 16 consecutive outputs
//     (coalesced: 4 sectors per request instead of 16).
// blockIdx.z selects a slice of K (split-K) of length k_split; the problem's
// store() receives the slice index so partial sums can go to a workspace and
// be added in a fixed order afterwards (deterministic, no atomics).
#pragma once

#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

inline constexpr int kGemmBN = 64, kGemmBK = 8, kGemmTN = 4;
inline constexpr int kGemmRows = 16, kGemmCols = kGemmBN / kGemmTN;  // 16 x 16 threads
inline constexpr int kGemmThreads = kGemmRows * kGemmCols;          // 256
inline constexpr int kGemmPad = 4;  // floats after each tile row (keeps rows 16-byte aligned)

template <typename Problem, int kBM>
__global__ void __launch_bounds__(kGemmThreads)
    implicit_gemm_kernel(Problem problem, int64_t M, int64_t N, int64_t K, int64_t k_split) {
  constexpr int kTM = kBM / kGemmRows;  // rows of C per thread
  __shared__ float a_tile[kGemmBK][kBM + kGemmPad];  // A transposed: a_tile[k][m]
  __shared__ float b_tile[kGemmBK][kGemmBN + kGemmPad];
  constexpr int kRows = kGemmRows, kCols = kGemmCols;
  const int t = threadIdx.x;
  // This thread's sub-tile: rows row + 16 i and columns col + 16 j of the block's tile.
  const int row = t / kCols, col = t % kCols;
  const int64_t m0 = int64_t(blockIdx.y) * kBM, n0 = int64_t(blockIdx.x) * kGemmBN;
  const int64_t k_begin = int64_t(blockIdx.z) * k_split;
  const int64_t k_end = k_begin + k_split < K ? k_begin + k_split : K;

  float acc[kTM][kGemmTN];
  for (int i = 0; i < kTM; ++i)
    for (int j = 0; j < kGemmTN; ++j) acc[i][j] = 0.0f;

  for (int64_t k0 = k_begin; k0 < k_end; k0 += kGemmBK) {
    // Stage the tiles; consecutive threads read consecutive k (for A) and
    // consecutive n (for B), which are the contiguous axes in memory.
    for (int e = t; e < kBM * kGemmBK; e += kGemmThreads) {
      const int mm = e / kGemmBK, kk = e % kGemmBK;
      const int64_t m = m0 + mm, k = k0 + kk;
      a_tile[kk][mm] = m < M && k < k_end ? problem.a(m, k) : 0.0f;
    }
    for (int e = t; e < kGemmBK * kGemmBN; e += kGemmThreads) {
      const int kk = Problem::kBContiguousAlongK ? e % kGemmBK : e / kGemmBN;
      const int nn = Problem::kBContiguousAlongK ? e / kGemmBK : e % kGemmBN;
      const int64_t k = k0 + kk, n = n0 + nn;
      b_tile[kk][nn] = k < k_end && n < N ? problem.b(k, n) : 0.0f;
    }
    __syncthreads();
    for (int kk = 0; kk < kGemmBK; ++kk) {
      float a[kTM], b[kGemmTN];
      for (int i = 0; i < kTM; ++i) a[i] = a_tile[kk][row + kRows * i];
      for (int j = 0; j < kGemmTN; ++j) b[j] = b_tile[kk][col + kCols * j];
      for (int i = 0; i < kTM; ++i)
        for (int j = 0; j < kGemmTN; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
  for (int i = 0; i < kTM; ++i)
    for (int j = 0; j < kGemmTN; ++j) {
      const int64_t m = m0 + row + kRows * i, n = n0 + col + kCols * j;
      if (m < M && n < N) problem.store(m, n, static_cast<int>(blockIdx.z), acc[i][j]);
    }
}

// Rows of C per block for an M-row output: 32 for at most 32 rows, else 64.
inline int64_t gemm_block_rows(int64_t M) { return M <= 32 ? 32 : 64; }

// Launches the engine over an M x N output, with K split into `splits` slices.
template <typename Problem>
void launch_implicit_gemm(const Problem& problem, int64_t M, int64_t N, int64_t K, int splits, cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  int64_t k_split = (K + splits - 1) / splits;
  k_split = (k_split + kGemmBK - 1) / kGemmBK * kGemmBK;  // whole steps per slice
  k_split = k_split < 1 ? 1 : k_split;
  const unsigned n_tiles = static_cast<unsigned>((N + kGemmBN - 1) / kGemmBN);
  if (gemm_block_rows(M) == 32)
    launch(implicit_gemm_kernel<Problem, 32>, dim3(n_tiles, static_cast<unsigned>((M + 31) / 32), splits),
           kGemmThreads, 0, stream, problem, M, N, K, k_split);
  else
    launch(implicit_gemm_kernel<Problem, 64>, dim3(n_tiles, static_cast<unsigned>((M + 63) / 64), splits),
           kGemmThreads, 0, stream, problem, M, N, K, k_split);
}

}  // namespace heatmark::HM_BACKEND
