// Warp and block reductions shared by the kernels: fixed trees of shuffles
// and one shared-memory step, so results are the same on every run.
#pragma once

#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

// Sum / max over the 32 lanes of a full warp; the result is valid in lane 0.
__device__ inline float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

__device__ inline float warp_max(float v) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other = __shfl_down_sync(0xffffffffu, v, offset);
    v = other > v ? other : v;
  }
  return v;
}

// Sum over a 1-D block of kThreads (a multiple of 32, at most 1024) threads,
// returned to every thread. Ends with a barrier, so it can be called again.
template <int kThreads>
__device__ inline float block_sum(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_sum(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = warp_sum(lane < kThreads / 32 ? partial[lane] : 0.0f);
    if (lane == 0) partial[0] = v;
  }
  __syncthreads();
  v = partial[0];
  __syncthreads();
  return v;
}

template <int kThreads>
__device__ inline float block_max(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_max(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = warp_max(lane < kThreads / 32 ? partial[lane] : -3.402823466e38f);
    if (lane == 0) partial[0] = v;
  }
  __syncthreads();
  v = partial[0];
  __syncthreads();
  return v;
}

}  // namespace heatmark::HM_BACKEND
