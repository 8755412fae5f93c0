// The AVX-512 micro-kernels (see tile_kernels.h). 32 zmm registers of 16
// floats:
//   rows tile 8 x 32: 16 accumulators, 2 vectors of B, 1 broadcast weight.
//   dot tile 4 x 4: 16 accumulators, 4 output-gradient vectors, 1 input vector.
// As in tile_kernels_avx2.cpp, the target attribute sits on the functions,
// not on the file, and the accumulators are named variables.
#include <immintrin.h>

#include "tensor/cpu/tile_kernels.h"

namespace heatmark::cpu {

namespace {

constexpr int kRowsMR = 8, kRowsNV = 2, kWidth = 16;
constexpr int kDotMR = 4, kDotNB = 4;

__attribute__((target("avx512f"))) void rows_avx512(const RowsTile& t) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  __m512 c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  const float* a = t.a;
  for (int64_t c = 0; c < t.channels; ++c) {
    const float* bc = t.b + c * t.b_stride;
    for (int64_t tap = 0; tap < t.taps; ++tap, a += kRowsMR) {
      const float* bp = bc + t.tap_offset[tap];
      const __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + kWidth);
      __m512 w = _mm512_set1_ps(a[0]);
      c00 = _mm512_fmadd_ps(w, b0, c00), c01 = _mm512_fmadd_ps(w, b1, c01);
      w = _mm512_set1_ps(a[1]);
      c10 = _mm512_fmadd_ps(w, b0, c10), c11 = _mm512_fmadd_ps(w, b1, c11);
      w = _mm512_set1_ps(a[2]);
      c20 = _mm512_fmadd_ps(w, b0, c20), c21 = _mm512_fmadd_ps(w, b1, c21);
      w = _mm512_set1_ps(a[3]);
      c30 = _mm512_fmadd_ps(w, b0, c30), c31 = _mm512_fmadd_ps(w, b1, c31);
      w = _mm512_set1_ps(a[4]);
      c40 = _mm512_fmadd_ps(w, b0, c40), c41 = _mm512_fmadd_ps(w, b1, c41);
      w = _mm512_set1_ps(a[5]);
      c50 = _mm512_fmadd_ps(w, b0, c50), c51 = _mm512_fmadd_ps(w, b1, c51);
      w = _mm512_set1_ps(a[6]);
      c60 = _mm512_fmadd_ps(w, b0, c60), c61 = _mm512_fmadd_ps(w, b1, c61);
      w = _mm512_set1_ps(a[7]);
      c70 = _mm512_fmadd_ps(w, b0, c70), c71 = _mm512_fmadd_ps(w, b1, c71);
    }
  }
  const __m512 rows[kRowsMR][kRowsNV] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                                         {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  if (t.m_valid == kRowsMR && t.n_valid == kRowsNV * kWidth) {
    for (int i = 0; i < kRowsMR; ++i) {
      float* c = t.c + i * t.ldc;
      if (t.accumulate) {
        _mm512_storeu_ps(c, _mm512_add_ps(rows[i][0], _mm512_loadu_ps(c)));
        _mm512_storeu_ps(c + kWidth, _mm512_add_ps(rows[i][1], _mm512_loadu_ps(c + kWidth)));
      } else {
        _mm512_storeu_ps(c, rows[i][0]);
        _mm512_storeu_ps(c + kWidth, rows[i][1]);
      }
    }
    return;
  }
  alignas(64) float tile[kRowsMR][kRowsNV * kWidth];  // an edge tile: store what exists
  for (int i = 0; i < kRowsMR; ++i) {
    _mm512_store_ps(tile[i], rows[i][0]);
    _mm512_store_ps(tile[i] + kWidth, rows[i][1]);
  }
  for (int i = 0; i < t.m_valid; ++i)
    for (int j = 0; j < t.n_valid; ++j) t.c[i * t.ldc + j] = t.accumulate ? t.c[i * t.ldc + j] + tile[i][j] : tile[i][j];
}

// Sums the 16 lanes in a fixed order, the same on every call.
__attribute__((target("avx512f"))) float lane_sum(__m512 v) {
  alignas(64) float lanes[kWidth];
  _mm512_store_ps(lanes, v);
  float pairs[kWidth / 2];
  for (int i = 0; i < kWidth / 2; ++i) pairs[i] = lanes[i] + lanes[i + kWidth / 2];
  float quads[kWidth / 4];
  for (int i = 0; i < kWidth / 4; ++i) quads[i] = pairs[i] + pairs[i + kWidth / 4];
  return (quads[0] + quads[2]) + (quads[1] + quads[3]);
}

__attribute__((target("avx512f"))) void dot_avx512(const DotTile& t) {
  // Missing rows and columns read row 0 (harmless) and are never stored.
  const float* g[kDotMR];
  const float* x[kDotNB];
  for (int i = 0; i < kDotMR; ++i) g[i] = t.g_rows[i < t.m_valid ? i : 0];
  for (int j = 0; j < kDotNB; ++j) x[j] = t.x_rows[j < t.n_valid ? j : 0];
  const float *g0 = g[0], *g1 = g[1], *g2 = g[2], *g3 = g[3], *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  // c<i><j> sums g row i times x row j.
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  __m512 c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
  for (int64_t q = 0; q < t.length; q += kWidth) {
    const __m512 r0 = _mm512_loadu_ps(g0 + q), r1 = _mm512_loadu_ps(g1 + q);
    const __m512 r2 = _mm512_loadu_ps(g2 + q), r3 = _mm512_loadu_ps(g3 + q);
    __m512 v = _mm512_loadu_ps(x0 + q);
    c00 = _mm512_fmadd_ps(r0, v, c00), c10 = _mm512_fmadd_ps(r1, v, c10);
    c20 = _mm512_fmadd_ps(r2, v, c20), c30 = _mm512_fmadd_ps(r3, v, c30);
    v = _mm512_loadu_ps(x1 + q);
    c01 = _mm512_fmadd_ps(r0, v, c01), c11 = _mm512_fmadd_ps(r1, v, c11);
    c21 = _mm512_fmadd_ps(r2, v, c21), c31 = _mm512_fmadd_ps(r3, v, c31);
    v = _mm512_loadu_ps(x2 + q);
    c02 = _mm512_fmadd_ps(r0, v, c02), c12 = _mm512_fmadd_ps(r1, v, c12);
    c22 = _mm512_fmadd_ps(r2, v, c22), c32 = _mm512_fmadd_ps(r3, v, c32);
    v = _mm512_loadu_ps(x3 + q);
    c03 = _mm512_fmadd_ps(r0, v, c03), c13 = _mm512_fmadd_ps(r1, v, c13);
    c23 = _mm512_fmadd_ps(r2, v, c23), c33 = _mm512_fmadd_ps(r3, v, c33);
  }
  const __m512 sums[kDotMR][kDotNB] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23},
                                       {c30, c31, c32, c33}};
  for (int i = 0; i < t.m_valid; ++i)
    for (int j = 0; j < t.n_valid; ++j) t.out[i * kDotNB + j] += lane_sum(sums[i][j]);
}

bool cpu_has_avx512() { return __builtin_cpu_supports("avx512f"); }

}  // namespace

const TileKernels* avx512_tile_kernels() {
  static const TileKernels kernels{"avx512", kRowsMR, kRowsNV * kWidth, rows_avx512, kDotMR, kDotNB, dot_avx512};
  return cpu_has_avx512() ? &kernels : nullptr;
}

}  // namespace heatmark::cpu
