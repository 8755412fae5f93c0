// The AVX2+FMA micro-kernels (see tile_kernels.h). 16 ymm registers of 8
// floats:
//   rows tile 6 x 16: 12 accumulators, 2 vectors of B, 1 broadcast weight.
//     Each (channel, tap) step is 2 loads + 6 broadcasts for 12 FMAs: on
//     paper the two FMA pipes, not the loads, set the pace (the CPU lab
//     measures how close it comes).
//   dot tile 3 x 4: 12 accumulators, 3 output-gradient vectors, 1 input vector.
// The functions carry the target attribute themselves, rather than the file
// being compiled with -mavx2: then no inline function shared with other files
// (a std:: template, say) can be emitted with AVX2 instructions and picked by
// the linker for a CPU without them, in a build for an older baseline
// (HEATMARK_CPU_ARCH; the default, x86-64-v3, already has AVX2).
#include <immintrin.h>

#include "tensor/cpu/tile_kernels.h"

namespace heatmark::cpu {

namespace {

constexpr int kRowsMR = 6, kRowsNV = 2, kWidth = 8;
constexpr int kDotMR = 3, kDotNB = 4;

// The accumulators are named variables, not an array: GCC keeps an array of
// vectors in memory and stores it back on every step, which made the kernel
// store-bound at a fifth of the FMA peak.
__attribute__((target("avx2,fma"))) void rows_avx2(const RowsTile& t) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float* a = t.a;
  for (int64_t c = 0; c < t.channels; ++c) {
    const float* bc = t.b + c * t.b_stride;
    for (int64_t tap = 0; tap < t.taps; ++tap, a += kRowsMR) {
      const float* bp = bc + t.tap_offset[tap];
      const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + kWidth);
      __m256 w = _mm256_broadcast_ss(a + 0);
      c00 = _mm256_fmadd_ps(w, b0, c00), c01 = _mm256_fmadd_ps(w, b1, c01);
      w = _mm256_broadcast_ss(a + 1);
      c10 = _mm256_fmadd_ps(w, b0, c10), c11 = _mm256_fmadd_ps(w, b1, c11);
      w = _mm256_broadcast_ss(a + 2);
      c20 = _mm256_fmadd_ps(w, b0, c20), c21 = _mm256_fmadd_ps(w, b1, c21);
      w = _mm256_broadcast_ss(a + 3);
      c30 = _mm256_fmadd_ps(w, b0, c30), c31 = _mm256_fmadd_ps(w, b1, c31);
      w = _mm256_broadcast_ss(a + 4);
      c40 = _mm256_fmadd_ps(w, b0, c40), c41 = _mm256_fmadd_ps(w, b1, c41);
      w = _mm256_broadcast_ss(a + 5);
      c50 = _mm256_fmadd_ps(w, b0, c50), c51 = _mm256_fmadd_ps(w, b1, c51);
    }
  }
  const __m256 rows[kRowsMR][kRowsNV] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (t.m_valid == kRowsMR && t.n_valid == kRowsNV * kWidth) {
    for (int i = 0; i < kRowsMR; ++i) {
      float* c = t.c + i * t.ldc;
      if (t.accumulate) {
        _mm256_storeu_ps(c, _mm256_add_ps(rows[i][0], _mm256_loadu_ps(c)));
        _mm256_storeu_ps(c + kWidth, _mm256_add_ps(rows[i][1], _mm256_loadu_ps(c + kWidth)));
      } else {
        _mm256_storeu_ps(c, rows[i][0]);
        _mm256_storeu_ps(c + kWidth, rows[i][1]);
      }
    }
    return;
  }
  alignas(32) float tile[kRowsMR][kRowsNV * kWidth];  // an edge tile: store what exists
  for (int i = 0; i < kRowsMR; ++i) {
    _mm256_store_ps(tile[i], rows[i][0]);
    _mm256_store_ps(tile[i] + kWidth, rows[i][1]);
  }
  for (int i = 0; i < t.m_valid; ++i)
    for (int j = 0; j < t.n_valid; ++j) t.c[i * t.ldc + j] = t.accumulate ? t.c[i * t.ldc + j] + tile[i][j] : tile[i][j];
}

// Sums the 8 lanes in a fixed order, the same on every call.
__attribute__((target("avx2,fma"))) float lane_sum(__m256 v) {
  const __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(quarter, _mm_movehdup_ps(quarter)));
}

__attribute__((target("avx2,fma"))) void dot_avx2(const DotTile& t) {
  // Missing rows and columns read row 0 (harmless) and are never stored.
  const float* g[kDotMR];
  const float* x[kDotNB];
  for (int i = 0; i < kDotMR; ++i) g[i] = t.g_rows[i < t.m_valid ? i : 0];
  for (int j = 0; j < kDotNB; ++j) x[j] = t.x_rows[j < t.n_valid ? j : 0];
  const float *g0 = g[0], *g1 = g[1], *g2 = g[2], *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  // Named accumulators, as in rows_avx2: c<i><j> sums g row i times x row j.
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  __m256 c20 = c00, c21 = c00, c22 = c00, c23 = c00;
  for (int64_t q = 0; q < t.length; q += kWidth) {
    const __m256 r0 = _mm256_loadu_ps(g0 + q), r1 = _mm256_loadu_ps(g1 + q), r2 = _mm256_loadu_ps(g2 + q);
    __m256 v = _mm256_loadu_ps(x0 + q);
    c00 = _mm256_fmadd_ps(r0, v, c00), c10 = _mm256_fmadd_ps(r1, v, c10), c20 = _mm256_fmadd_ps(r2, v, c20);
    v = _mm256_loadu_ps(x1 + q);
    c01 = _mm256_fmadd_ps(r0, v, c01), c11 = _mm256_fmadd_ps(r1, v, c11), c21 = _mm256_fmadd_ps(r2, v, c21);
    v = _mm256_loadu_ps(x2 + q);
    c02 = _mm256_fmadd_ps(r0, v, c02), c12 = _mm256_fmadd_ps(r1, v, c12), c22 = _mm256_fmadd_ps(r2, v, c22);
    v = _mm256_loadu_ps(x3 + q);
    c03 = _mm256_fmadd_ps(r0, v, c03), c13 = _mm256_fmadd_ps(r1, v, c13), c23 = _mm256_fmadd_ps(r2, v, c23);
  }
  const __m256 sums[kDotMR][kDotNB] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}};
  for (int i = 0; i < t.m_valid; ++i)
    for (int j = 0; j < t.n_valid; ++j) t.out[i * kDotNB + j] += lane_sum(sums[i][j]);
}

bool cpu_has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

}  // namespace

const TileKernels* avx2_tile_kernels() {
  static const TileKernels kernels{"avx2", kRowsMR, kRowsNV * kWidth, rows_avx2, kDotMR, kDotNB, dot_avx2};
  return cpu_has_avx2() ? &kernels : nullptr;
}

}  // namespace heatmark::cpu
