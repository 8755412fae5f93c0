// Spatial soft-argmax: heatmaps (N, K, H, W) -> coordinates (N, K, 2)
// normalised to [0, 1], and its backward. Formulas, coordinate convention
// and the choice of beta: tensor/cpu/render_gaussian_heatmaps.h.
//
// Softmax and expectation fused (the pattern of llm.c's fused classifier),
// in two deterministic phases so that a map is not one block's work alone
// (19 landmarks at batch 4 would be 76 blocks for a GPU's 132 SMs):
//   phase 1  block (chunk j, map) reduces kSoftArgmaxChunk pixels: its max
//            m_j, and relative to it S_j = sum e, X_j = sum e x, Y_j = sum e y
//            with e = exp(beta (h - m_j));
//   phase 2  one thread per map merges its chunks in order, rescaling each
//            by exp(beta (m_j - M)) to the map's max M.
// The forward then writes (X / S, Y / S). The backward keeps M and S per
// map and writes, over every pixel with the whole grid,
//   gh = beta * p * (gu (x_j - u) + gv (y_i - v))   with p = exp(beta (h - M)) / S.
#include "cuda/kernels/block_reduce.cuh"

namespace heatmark::HM_BACKEND {

inline constexpr int kSoftArgmaxChunk = 4 * kBlockSize;  // pixels per phase-1 block: 4 per thread

// Helpers in an unnamed namespace; kernels stay outside it, so that the
// emulator can name them (it looks kernels up in the symbol table).
namespace {
int64_t chunks_of(const HeatmapShape& s) { return (s.H * s.W + kSoftArgmaxChunk - 1) / kSoftArgmaxChunk; }

// The partials: four planes (m, S, X, Y), each chunks x maps with the maps
// contiguous, so that phase 2 (a thread per map) reads coalesced.
__device__ inline int64_t partial_slot(int q, int64_t chunks, int64_t maps, int64_t j, int64_t map) {
  return (q * chunks + j) * maps + map;
}

// Phase 2 of one map: its max M and the chunks' sums rescaled to it, in chunk order.
struct MapSums {
  float peak, total, sx, sy;
};
__device__ inline MapSums merge_chunks(const float* __restrict__ partials, int64_t chunks, int64_t maps, int64_t map,
                                       float beta, bool moments) {
  MapSums r{MaxOp::kIdentity, 0.0f, 0.0f, 0.0f};
  for (int64_t j = 0; j < chunks; ++j) {
    const float m = partials[partial_slot(0, chunks, maps, j, map)];
    r.peak = m > r.peak ? m : r.peak;
  }
  for (int64_t j = 0; j < chunks; ++j) {
    const float scale = expf(beta * (partials[partial_slot(0, chunks, maps, j, map)] - r.peak));
    r.total += scale * partials[partial_slot(1, chunks, maps, j, map)];
    if (moments) {
      r.sx += scale * partials[partial_slot(2, chunks, maps, j, map)];
      r.sy += scale * partials[partial_slot(3, chunks, maps, j, map)];
    }
  }
  return r;
}
}  // namespace

// Phase 1: block (chunk blockIdx.x, map blockIdx.y); X and Y only when `moments`.
__global__ void soft_argmax_partials_kernel(HeatmapShape s, const float* __restrict__ heatmaps, float beta,
                                            bool moments, float* __restrict__ partials) {
  const int64_t pixels = s.H * s.W, j = blockIdx.x, map = blockIdx.y, chunks = gridDim.x, maps = gridDim.y;
  const float* h = heatmaps + map * pixels;
  const int64_t p0 = j * kSoftArgmaxChunk;
  // Each thread's pixels stay in registers between the max and the sums, so
  // the map is read from memory once.
  constexpr int kPerThread = kSoftArgmaxChunk / kBlockSize;
  float value[kPerThread];
  float peak = MaxOp::kIdentity;
  for (int r = 0; r < kPerThread; ++r) {
    const int64_t p = p0 + r * kBlockSize + threadIdx.x;
    value[r] = p < pixels ? h[p] : MaxOp::kIdentity;
    peak = value[r] > peak ? value[r] : peak;
  }
  peak = block_max(peak);
  float total = 0.0f, sx = 0.0f, sy = 0.0f;
  for (int r = 0; r < kPerThread; ++r) {
    const int64_t p = p0 + r * kBlockSize + threadIdx.x;
    if (p >= pixels) break;
    const float e = expf(beta * (value[r] - peak));
    total += e;
    if (moments) {
      sx += e * (static_cast<float>(p % s.W) + 0.5f);
      sy += e * (static_cast<float>(p / s.W) + 0.5f);
    }
  }
  total = block_sum(total);
  if (moments) {
    sx = block_sum(sx);
    sy = block_sum(sy);
  }
  if (threadIdx.x == 0) {
    partials[partial_slot(0, chunks, maps, j, map)] = peak;
    partials[partial_slot(1, chunks, maps, j, map)] = total;
    if (moments) {
      partials[partial_slot(2, chunks, maps, j, map)] = sx;
      partials[partial_slot(3, chunks, maps, j, map)] = sy;
    }
  }
}

// Phase 2 of the forward: the coordinates of each map.
__global__ void soft_argmax_coordinates_kernel(HeatmapShape s, int64_t chunks, const float* __restrict__ partials,
                                               float beta, float* __restrict__ coords) {
  const int64_t maps = s.N * s.K, map = global_thread_index();
  if (map >= maps) return;
  const MapSums r = merge_chunks(partials, chunks, maps, map, beta, /*moments=*/true);
  coords[2 * map] = r.sx / r.total / static_cast<float>(s.W);
  coords[2 * map + 1] = r.sy / r.total / static_cast<float>(s.H);
}

// Phase 2 of the backward: each map's max M and sum S, as map_stats[map] and map_stats[maps + map].
__global__ void soft_argmax_map_stats_kernel(HeatmapShape s, int64_t chunks, const float* __restrict__ partials,
                                             float beta, float* __restrict__ map_stats) {
  const int64_t maps = s.N * s.K, map = global_thread_index();
  if (map >= maps) return;
  const MapSums r = merge_chunks(partials, chunks, maps, map, beta, /*moments=*/false);
  map_stats[map] = r.peak;
  map_stats[maps + map] = r.total;
}

// The backward's gradient, one pixel per thread of a grid-stride loop.
__global__ void soft_argmax_backward_kernel(HeatmapShape s, const float* __restrict__ heatmaps,
                                            const float* __restrict__ coords, const float* __restrict__ g_coords,
                                            const float* __restrict__ map_stats, float beta,
                                            float* __restrict__ g_heatmaps) {
  const int64_t pixels = s.H * s.W, maps = s.N * s.K, total = maps * pixels;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t map = i / pixels, p = i % pixels;
    const float prob = expf(beta * (heatmaps[i] - map_stats[map])) / map_stats[maps + map];
    const float x = (static_cast<float>(p % s.W) + 0.5f) / static_cast<float>(s.W);
    const float y = (static_cast<float>(p / s.W) + 0.5f) / static_cast<float>(s.H);
    const float u = coords[2 * map], v = coords[2 * map + 1], gu = g_coords[2 * map], gv = g_coords[2 * map + 1];
    g_heatmaps[i] = beta * prob * (gu * (x - u) + gv * (y - v));
  }
}

int64_t soft_argmax_workspace_floats(const HeatmapShape& s) {
  const int64_t maps = s.N * s.K;
  return 4 * chunks_of(s) * maps + 2 * maps;  // the partials, then the backward's map_stats
}

void soft_argmax_forward(const HeatmapShape& s, const float* heatmaps, float beta, float* coords, float* workspace,
                         StreamHandle stream) {
  const int64_t maps = s.N * s.K, chunks = chunks_of(s);
  if (maps == 0) return;
  const auto st = static_cast<cudaStream_t>(stream);
  launch(soft_argmax_partials_kernel, dim3(static_cast<unsigned>(chunks), static_cast<unsigned>(maps)), kBlockSize, 0,
         st, s, heatmaps, beta, true, workspace);
  launch(soft_argmax_coordinates_kernel, grid_for(maps), kBlockSize, 0, st, s, chunks,
         static_cast<const float*>(workspace), beta, coords);
}

void soft_argmax_backward(const HeatmapShape& s, const float* heatmaps, const float* coords, const float* g_coords,
                          float beta, float* g_heatmaps, float* workspace, StreamHandle stream) {
  const int64_t maps = s.N * s.K, chunks = chunks_of(s);
  if (maps == 0) return;
  const auto st = static_cast<cudaStream_t>(stream);
  float* map_stats = workspace + 4 * chunks * maps;
  launch(soft_argmax_partials_kernel, dim3(static_cast<unsigned>(chunks), static_cast<unsigned>(maps)), kBlockSize, 0,
         st, s, heatmaps, beta, false, workspace);
  launch(soft_argmax_map_stats_kernel, grid_for(maps), kBlockSize, 0, st, s, chunks,
         static_cast<const float*>(workspace), beta, map_stats);
  launch(soft_argmax_backward_kernel, grid_for(maps * s.H * s.W), kBlockSize, 0, st, s, heatmaps, coords, g_coords,
         static_cast<const float*>(map_stats), beta, g_heatmaps);
}

}  // namespace heatmark::HM_BACKEND
