// Sum (and mean) of all elements, and the backward broadcast.
//
// Deterministic two-phase reduction, no atomics:
//   phase 1  block b sums the fixed chunk x[b*kChunk, (b+1)*kChunk) into partial[b];
//   phase 2  one block sums the partials and applies the scale (1 or 1/n).
// Inside a block each thread adds its elements in a fixed order, then the
// block combines the 256 thread sums with warp shuffles (a tree within each
// warp) and shared memory (across the 8 warps): block_reduce.cuh. The chunking depends only on
// n, so the result is bitwise the same on every run.
#include "cuda/kernels/block_reduce.cuh"

namespace heatmark::HM_BACKEND {

inline constexpr int64_t kChunk = 8192;  // elements per block in phase 1

// out[b] = scale * sum(x[b*chunk, min(n, (b+1)*chunk)))
__global__ void sum_chunks_kernel(const float* __restrict__ x, int64_t n, int64_t chunk, float scale,
                                  float* __restrict__ out) {
  const int64_t begin = int64_t(blockIdx.x) * chunk;
  const int64_t end = begin + chunk < n ? begin + chunk : n;
  float v = 0.0f;
  for (int64_t i = begin + threadIdx.x; i < end; i += kBlockSize) v += x[i];
  v = block_sum(v);
  if (threadIdx.x == 0) out[blockIdx.x] = scale * v;
}

__global__ void broadcast_scalar_kernel(const float* __restrict__ g, float scale, float* __restrict__ y, int64_t n) {
  const float value = scale * g[0];
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) y[i] = value;
}

// gsum[c] += sum over n, p of g[n, c, p] for g (N, C, P): one block per channel.
__global__ void channel_sum_accumulate_kernel(const float* __restrict__ g, int64_t N, int64_t C, int64_t P,
                                              float* __restrict__ gsum) {
  const int64_t c = blockIdx.x;
  float v = 0.0f;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t p = threadIdx.x; p < P; p += kBlockSize) v += g[(n * C + c) * P + p];
  v = block_sum(v);
  if (threadIdx.x == 0) gsum[c] += v;
}

int64_t sum_workspace_floats(int64_t n) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  return chunks > 1 ? chunks : 0;
}

void sum_forward(const float* x, int64_t n, float scale, float* workspace, float* out, StreamHandle stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks <= 1) {  // one block does it all (n == 0 writes 0)
    launch(sum_chunks_kernel, 1, kBlockSize, 0, s, x, n, kChunk, scale, out);
    return;
  }
  launch(sum_chunks_kernel, static_cast<unsigned>(chunks), kBlockSize, 0, s, x, n, kChunk, 1.0f, workspace);
  launch(sum_chunks_kernel, 1, kBlockSize, 0, s, static_cast<const float*>(workspace), chunks, chunks, scale, out);
}

void channel_sum_accumulate(const float* g, int64_t N, int64_t C, int64_t P, float* gsum, StreamHandle stream) {
  if (C > 0)
    launch(channel_sum_accumulate_kernel, static_cast<unsigned>(C), kBlockSize, 0, static_cast<cudaStream_t>(stream),
           g, N, C, P, gsum);
}

void broadcast_scalar(const float* g, float scale, float* y, int64_t n, StreamHandle stream) {
  if (n > 0)
    launch(broadcast_scalar_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), g, scale, y, n);
}

}  // namespace heatmark::HM_BACKEND
