#include "tensor/cpu/tile_grid.h"

#include <algorithm>
#include <memory>
#include <new>

#include "tensor/parallel.h"

namespace heatmark::cpu {

namespace {
// 64-byte aligned, so that tiles starting at a multiple of the vector width
// load without splitting cache lines.
struct AlignedBuffer {
  struct Free {
    void operator()(float* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  std::unique_ptr<float[], Free> data;
  int64_t size = 0;
};
}  // namespace

float* scratch(Scratch slot, int64_t floats) {
  thread_local AlignedBuffer buffers[4];
  AlignedBuffer& b = buffers[static_cast<int>(slot)];
  if (b.size < floats) {
    b.data.reset(static_cast<float*>(::operator new[](floats * sizeof(float), std::align_val_t(64))));
    b.size = floats;
  }
  return b.data.get();
}

void run_rows_grids(const std::vector<RowsGrid>& grids, const TileKernels& k, const RowsSchedule& schedule) {
  const int64_t mr = k.rows_mr, nr = k.rows_nr;
  auto chunks_of = [&](const RowsGrid& r) {
    return r.q_end > r.q_begin ? ceil_div(ceil_div(r.q_end - r.q_begin, nr), schedule.chunk_tiles) : 0;
  };
  // Items: (grid, chunk along q, group of row blocks). Small grids (a batch
  // of one, the low-resolution branches) have few chunks, so their rows are
  // split into groups until there are a few items per thread. Which item
  // computes a tile changes nothing in the tile.
  int64_t chunks = 0, max_blocks = 1;
  for (const RowsGrid& r : grids) {
    chunks += chunks_of(r);
    max_blocks = std::max(max_blocks, ceil_div(r.M, mr));
  }
  const int64_t wanted = 4 * static_cast<int64_t>(num_threads());
  const int64_t groups = chunks == 0 ? 1 : std::clamp<int64_t>(ceil_div(wanted, chunks), 1, max_blocks);
  std::vector<int64_t> first_item(grids.size() + 1, 0);
  for (size_t g = 0; g < grids.size(); ++g) first_item[g + 1] = first_item[g] + chunks_of(grids[g]) * groups;
  parallel_items(first_item.back(), [&](int64_t item) {
    const size_t g = std::upper_bound(first_item.begin(), first_item.end(), item) - first_item.begin() - 1;
    const RowsGrid& r = grids[g];
    const int64_t local = item - first_item[g], group = local % groups;
    const int64_t q_chunk = r.q_begin + local / groups * schedule.chunk_tiles * nr;
    const int64_t q_stop = std::min(r.q_end, q_chunk + schedule.chunk_tiles * nr);
    // This group's row blocks: an even share of the grid's.
    const int64_t blocks = ceil_div(r.M, mr);
    const int64_t block_begin = blocks * group / groups, block_end = blocks * (group + 1) / groups;
    const int64_t block_channels =
        schedule.steps_per_block > 0 ? std::max<int64_t>(1, schedule.steps_per_block / r.taps) : r.channels;
    RowsTile t;
    t.taps = r.taps;
    t.tap_offset = r.tap_offset;
    t.b_stride = r.b_stride;
    t.ldc = r.ldc;
    for (int64_t c0 = 0; c0 < r.channels; c0 += block_channels) {
      t.channels = std::min(block_channels, r.channels - c0);
      t.accumulate = c0 > 0;
      for (int64_t m0 = block_begin * mr; m0 < block_end * mr; m0 += mr) {
        // Block m0 / mr of the packed operand, from channel c0 on.
        t.a = r.a + (m0 * r.channels + c0 * mr) * r.taps;
        t.m_valid = static_cast<int>(std::min(mr, r.M - m0));
        for (int64_t q = q_chunk; q < q_stop; q += nr) {
          t.b = r.b + c0 * r.b_stride + q;
          t.c = r.c + m0 * r.ldc + q;
          t.n_valid = static_cast<int>(std::min(nr, q_stop - q));
          k.rows(t);
        }
      }
    }
  });
}

}  // namespace heatmark::cpu
