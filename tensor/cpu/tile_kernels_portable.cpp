// The portable micro-kernels (see tile_kernels.h): plain C++ with the same
// tile structure, for CPUs without AVX2 and as the yardstick of the vector
// variants. The compiler vectorises the inner loops with the build's baseline
// (HEATMARK_CPU_ARCH: AVX2 by default, so "portable" means portable source).
#include <algorithm>

#include "tensor/cpu/tile_kernels.h"

namespace heatmark::cpu {

namespace {

constexpr int kRowsMR = 4, kRowsNR = 8;
constexpr int kDotMR = 2, kDotNB = 4;

void rows_portable(const RowsTile& t) {
  float acc[kRowsMR][kRowsNR] = {};
  const float* a = t.a;
  for (int64_t c = 0; c < t.channels; ++c) {
    const float* bc = t.b + c * t.b_stride;
    for (int64_t tap = 0; tap < t.taps; ++tap, a += kRowsMR) {
      const float* bp = bc + t.tap_offset[tap];
      for (int i = 0; i < kRowsMR; ++i)
        for (int j = 0; j < kRowsNR; ++j) acc[i][j] += a[i] * bp[j];
    }
  }
  for (int i = 0; i < t.m_valid; ++i)
    for (int j = 0; j < t.n_valid; ++j) t.c[i * t.ldc + j] = t.accumulate ? t.c[i * t.ldc + j] + acc[i][j] : acc[i][j];
}

void dot_portable(const DotTile& t) {
  // 8 partial sums per pair, added in a fixed order at the end, like the
  // vector lanes of the other variants.
  float acc[kDotMR][kDotNB][8] = {};
  const float* g[kDotMR];
  const float* x[kDotNB];
  for (int i = 0; i < kDotMR; ++i) g[i] = t.g_rows[i < t.m_valid ? i : 0];
  for (int j = 0; j < kDotNB; ++j) x[j] = t.x_rows[j < t.n_valid ? j : 0];
  for (int64_t q = 0; q < t.length; q += 8)
    for (int i = 0; i < kDotMR; ++i)
      for (int j = 0; j < kDotNB; ++j)
        for (int l = 0; l < 8; ++l) acc[i][j][l] += g[i][q + l] * x[j][q + l];
  for (int i = 0; i < t.m_valid; ++i)
    for (int j = 0; j < t.n_valid; ++j) {
      const float* p = acc[i][j];
      t.out[i * kDotNB + j] += ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
    }
}

}  // namespace

const TileKernels& portable_tile_kernels() {
  static const TileKernels kernels{"portable", kRowsMR, kRowsNR, rows_portable, kDotMR, kDotNB, dot_portable};
  return kernels;
}

}  // namespace heatmark::cpu
