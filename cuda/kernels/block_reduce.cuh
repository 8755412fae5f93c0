// Warp and block reductions shared by the kernels: fixed trees of shuffles
// and one shared-memory step, so results are the same on every run.
#pragma once

#include <cfloat>

#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

// The reductions: an associative combine and the value that changes nothing.
struct SumOp {
  static constexpr float kIdentity = 0.0f;
  __device__ float operator()(float a, float b) const { return a + b; }
};
struct MaxOp {
  static constexpr float kIdentity = -FLT_MAX;  // the lowest finite float
  __device__ float operator()(float a, float b) const { return b > a ? b : a; }
};

// Over the 32 lanes of a full warp; the result is valid in lane 0.
template <typename Op>
__device__ inline float warp_reduce(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v = Op()(v, __shfl_down_sync(0xffffffffu, v, offset));
  return v;
}

// Over a 1-D block of kThreads (a multiple of 32, at most 1024) threads,
// returned to every thread: each warp reduces its lanes, then warp 0 reduces
// the warps' results. Ends with a barrier, so it can be called again.
template <typename Op, int kThreads>
__device__ inline float block_reduce(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_reduce<Op>(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = warp_reduce<Op>(lane < kThreads / 32 ? partial[lane] : Op::kIdentity);
    if (lane == 0) partial[0] = v;
  }
  __syncthreads();
  v = partial[0];
  __syncthreads();
  return v;
}

template <int kThreads = kBlockSize>
__device__ inline float block_sum(float v) { return block_reduce<SumOp, kThreads>(v); }
template <int kThreads = kBlockSize>
__device__ inline float block_max(float v) { return block_reduce<MaxOp, kThreads>(v); }

}  // namespace heatmark::HM_BACKEND
