// Running the rows tile of tile_kernels.h over whole output grids, in
// parallel, and the helpers its callers share: packing the broadcast operand
// and reusable scratch buffers. Used by the convolutions and matmul.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/cpu/tile_kernels.h"

namespace heatmark::cpu {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Buffers reused across calls by the calling thread, so that large
// workspaces are not faulted in again on every call. A slot's contents are
// undefined on entry; a caller owns its slot until it returns.
enum class Scratch { Planes, Packed, Grid, Transposed };
float* scratch(Scratch slot, int64_t floats);

// One grid of outputs: C[m][q] for m < M and q in [q_begin, q_end), each the
// rows tile's sum over `channels` x `taps`. Several grids (images, phases)
// form one parallel job.
struct RowsGrid {
  int64_t M = 0, channels = 0, taps = 0;
  const int64_t* tap_offset = nullptr;  // (taps)
  int64_t b_stride = 0;                 // floats between the channels of B
  const float* a = nullptr;             // packed by pack_rows_a
  const float* b = nullptr;             // q = 0 of channel 0 of B
  float* c = nullptr;                   // q = 0 of output row 0
  int64_t ldc = 0;                      // floats between output rows
  int64_t q_begin = 0, q_end = 0;
};

// The loop nest around the rows tile. A work item is a chunk of chunk_tiles
// tiles along q of one grid, for all its rows. The reduction runs in blocks
// of about steps_per_block (channel, tap) steps: the inputs one block reads
// for one chunk stay in L1 while every row block passes over them, and the
// packed weights stream in order. Blocks after the first accumulate, always
// in the same order, so the sums do not depend on the split among threads.
struct RowsSchedule {
  int64_t chunk_tiles = 8;
  int64_t steps_per_block = 576;  // 0: the whole reduction in one block
};

// Computes every tile of every grid.
void run_rows_grids(const std::vector<RowsGrid>& grids, const TileKernels& kernels,
                    const RowsSchedule& schedule = {});

// The broadcast operand, packed for the rows tile: (ceil(M / mr), channels,
// taps, mr) with dst[.., c, t, i] = weight(m0 + i, c, t), zero past row M.
inline int64_t packed_rows_a_floats(int64_t M, int64_t channels, int64_t taps, int64_t mr) {
  return ceil_div(M, mr) * mr * channels * taps;
}
template <typename Weight>
void pack_rows_a(int64_t M, int64_t channels, int64_t taps, int64_t mr, Weight&& weight, float* dst) {
  for (int64_t m0 = 0; m0 < M; m0 += mr)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t i = 0; i < mr; ++i) *dst++ = m0 + i < M ? weight(m0 + i, c, t) : 0.0f;
}

}  // namespace heatmark::cpu
