// The register-blocked micro-kernels of the CPU convolutions, in three
// variants: AVX-512, AVX2+FMA and portable C++. All three compute the same two
// tile shapes; the drivers in conv2d_direct.cpp only see this table.
//
// Rows tile (forward and backward-data convolution, matmul). An MR x NR block
// of outputs C: MR output channels times NR consecutive positions q of a flat
// grid, reduced over `channels` input channels and `taps` filter taps:
//
//   C[i][j] = sum_{c < channels} sum_{t < taps} A[c][t][i] * B[c * b_stride + tap_offset[t] + j]
//
// A is packed (channels, taps, MR): one vector of MR weights per (c, t), which
// the kernel broadcasts. B is read in place: for a convolution it is the
// padded input laid out so that every tap is a constant shift of the output
// position (see conv2d_direct.cpp), so no im2col buffer is ever built. The
// accumulators stay in registers for the whole reduction; only m_valid rows
// and n_valid columns are stored (the rest of the tile is padding). With
// `accumulate` the tile adds to C instead of overwriting it, so a long
// reduction can run in chunks of channels that stay in L1.
//
// Dot tile (backward-weight convolution). An MR x NB block of sums of
// products along q, where the MR rows are output-gradient rows and the NB
// columns are input rows, each at its own shift:
//
//   out[i][j] += sum_{q < length} g_rows[i][q] * x_rows[j][q]
//
// Both tiles read B (and the dot tile reads both operands) in whole vectors:
// callers guarantee that reads up to a multiple of the vector width past the
// last valid column stay inside the buffer (buffers carry kTileSlack floats
// of slack). The dot tile's `length` is a multiple of kDotStep.
#pragma once

#include <cstdint>
#include <string>

namespace heatmark::cpu {

inline constexpr int64_t kTileSlack = 64;  // floats of readable slack after every tile operand
inline constexpr int64_t kDotStep = 16;    // the dot tile's length is a multiple of this

struct RowsTile {
  int64_t channels = 0, taps = 0;
  const int64_t* tap_offset = nullptr;  // (taps)
  int64_t b_stride = 0;                 // floats between channels of B
  const float* a = nullptr;             // (channels, taps, MR), packed
  const float* b = nullptr;             // B at the tile's first column
  float* c = nullptr;                   // C at the tile's first row and column
  int64_t ldc = 0;                      // floats between rows of C
  int m_valid = 0, n_valid = 0;         // rows and columns to store
  bool accumulate = false;              // C += the sum, instead of C = the sum
};

struct DotTile {
  int64_t length = 0;                   // a multiple of kDotStep
  const float* const* g_rows = nullptr;  // (MR) row pointers
  const float* const* x_rows = nullptr;  // (NB) row pointers
  float* out = nullptr;                  // (MR, NB), accumulated (+=)
  int m_valid = 0, n_valid = 0;          // rows of g_rows and x_rows that exist
};

struct TileKernels {
  const char* name;  // "avx512", "avx2" or "portable"
  int rows_mr, rows_nr;  // the rows tile's shape
  void (*rows)(const RowsTile&);
  int dot_mr, dot_nb;  // the dot tile's shape
  void (*dot)(const DotTile&);
};

// The variants; each returns null when this CPU cannot run it.
const TileKernels* avx512_tile_kernels();
const TileKernels* avx2_tile_kernels();
const TileKernels& portable_tile_kernels();

// The variant the convolutions use: the best this CPU runs, or the one named
// by HEATMARK_CPU_KERNELS (avx512, avx2 or portable), which tests use to run
// every variant on any machine that has it. Asking for a variant the CPU
// lacks is a one-line error naming the variable and the CPU's best.
const TileKernels& tile_kernels();
// The variant named `name`, or a one-line error when it is unknown or this CPU
// cannot run it.
const TileKernels& tile_kernels_named(const std::string& name);

}  // namespace heatmark::cpu
