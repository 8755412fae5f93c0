// Kernels that test the emulator itself; see test_kernels.h. Compiled for the
// emulator (tests) and by nvcc (so device-illegal code fails CI, and the
// correct kernels can run on a GPU). The planted bugs are never run on a GPU.
#include "cuda/kernel_api.h"
#include "tests/cuda/sim/test_kernels.h"

namespace heatmark::HM_BACKEND::sim_test {

__global__ void reverse_in_block_kernel(const float* x, float* y) {
  HM_DYNAMIC_SHARED(float, buffer);  // blockDim.x floats
  const int t = threadIdx.x;
  const int64_t start = int64_t(blockIdx.x) * blockDim.x;
  buffer[t] = x[start + t];
  __syncthreads();
  y[start + t] = buffer[blockDim.x - 1 - t];
}

__global__ void shift_in_block_kernel(const float* x, float* y, bool with_barrier) {
  HM_DYNAMIC_SHARED(float, buffer);
  const int t = threadIdx.x;
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + t;
  buffer[t] = x[i];
  if (with_barrier) __syncthreads();
  y[i] = t > 0 ? buffer[t - 1] : 0.0f;  // reads the neighbour's write
}

__global__ void warp_xor_sum_kernel(const float* x, float* y, int64_t n) {
  const int64_t i = global_thread_index();
  float v = i < n ? x[i] : 0.0f;
  for (int mask = 16; mask > 0; mask /= 2) v += __shfl_xor_sync(0xffffffffu, v, mask);
  if (i < n) y[i] = v;
}

__global__ void warp_votes_kernel(const float* x, unsigned* ballot, int* any, int* all, int64_t n) {
  const int64_t i = global_thread_index();
  const int predicate = i < n && x[i] > 0.0f;
  const unsigned b = __ballot_sync(0xffffffffu, predicate);
  const int a = __any_sync(0xffffffffu, predicate);
  const int l = __all_sync(0xffffffffu, predicate);
  if (i < n) {
    ballot[i] = b;
    any[i] = a;
    all[i] = l;
  }
}

__global__ void warp_shuffles_kernel(const float* x, float* index, float* up, float* down, int64_t n, int width) {
  const int64_t i = global_thread_index();
  const int lane = threadIdx.x % 32;
  const float v = i < n ? x[i] : 0.0f;
  const float from_index = __shfl_sync(0xffffffffu, v, (lane + 3) % width, width);
  const float from_up = __shfl_up_sync(0xffffffffu, v, 1, width);
  const float from_down = __shfl_down_sync(0xffffffffu, v, 2, width);
  if (i < n) {
    index[i] = from_index;
    up[i] = from_up;
    down[i] = from_down;
  }
}

__global__ void atomics_kernel(float* total, int* max_index, int64_t n) {
  const int64_t i = global_thread_index();
  if (i < n) {
    atomicAdd(total, 1.0f);
    atomicMax(max_index, static_cast<int>(i));
  }
}

// ---- planted bugs ----------------------------------------------------------------

__global__ void divergent_barrier_kernel(float* y) {
  if (threadIdx.x < 16) __syncthreads();  // BUG: only some threads reach the barrier
  y[threadIdx.x] = 1.0f;
}

__global__ void early_exit_before_barrier_kernel(float* y) {
  __shared__ float staged[64];
  if (threadIdx.x >= 20) return;  // BUG: the exited threads never reach the barrier below
  staged[threadIdx.x] = 1.0f;
  __syncthreads();
  y[threadIdx.x] = staged[19 - threadIdx.x];
}

__global__ void shuffle_mask_excludes_caller_kernel(float* y) {
  // BUG: lanes 16-31 call a shuffle whose mask leaves them out.
  y[threadIdx.x] = __shfl_sync(0x0000ffffu, 1.0f, threadIdx.x % 16);
}

__global__ void shuffle_with_exited_lanes_kernel(float* y) {
  if (threadIdx.x >= 16) return;
  // BUG: the full mask names lanes 16-31, which have exited.
  y[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.0f, 1);
}

__global__ void shuffle_waits_for_barrier_kernel(float* y) {
  float v = 1.0f;
  if (threadIdx.x < 16)
    v = __shfl_down_sync(0xffffffffu, v, 1);  // BUG: lanes 16-31 are at the barrier instead
  else
    __syncthreads();
  y[threadIdx.x] = v;
}

__global__ void dynamic_shared_overflow_kernel(float* y) {
  HM_DYNAMIC_SHARED(float, buffer);  // blockDim.x floats
  buffer[threadIdx.x + 1] = 1.0f;    // BUG: the last thread writes one past the end
  __syncthreads();
  y[threadIdx.x] = buffer[threadIdx.x];
}

__global__ void static_shared_overflow_kernel(float* y) {
  __shared__ float tile[32];
  tile[threadIdx.x + 1] = 1.0f;  // BUG: thread 31 indexes tile[32]
  __syncthreads();
  y[threadIdx.x] = tile[threadIdx.x];
}

// ---- launchers ---------------------------------------------------------------------

void reverse_in_block(const float* x, float* y, int64_t n, int block) {
  launch(reverse_in_block_kernel, static_cast<unsigned>(n / block), block, block * sizeof(float), nullptr, x, y);
}

void shift_in_block(const float* x, float* y, int64_t n, int block, bool with_barrier) {
  launch(shift_in_block_kernel, static_cast<unsigned>(n / block), block, block * sizeof(float), nullptr, x, y,
         with_barrier);
}

void warp_xor_sum(const float* x, float* y, int64_t n) { launch(warp_xor_sum_kernel, grid_for(n, 64), 64, 0, nullptr, x, y, n); }
void warp_xor_sum_in_blocks_of(const float* x, float* y, int64_t n, int block) {
  launch(warp_xor_sum_kernel, grid_for(n, block), block, 0, nullptr, x, y, n);
}

void warp_votes(const float* x, unsigned* ballot, int* any, int* all, int64_t n) {
  launch(warp_votes_kernel, grid_for(n, 64), 64, 0, nullptr, x, ballot, any, all, n);
}

void warp_shuffles(const float* x, float* index, float* up, float* down, int64_t n, int width) {
  launch(warp_shuffles_kernel, grid_for(n, 64), 64, 0, nullptr, x, index, up, down, n, width);
}

void atomics(float* total, int* max_index, int64_t n) {
  launch(atomics_kernel, grid_for(n, 128, 1 << 20), 128, 0, nullptr, total, max_index, n);
}

void divergent_barrier(float* y, int threads) { launch(divergent_barrier_kernel, 1, threads, 0, nullptr, y); }
void early_exit_before_barrier(float* y, int threads) {
  launch(early_exit_before_barrier_kernel, 1, threads, 0, nullptr, y);
}
void shuffle_mask_excludes_caller(float* y) { launch(shuffle_mask_excludes_caller_kernel, 1, 32, 0, nullptr, y); }
void shuffle_with_exited_lanes(float* y) { launch(shuffle_with_exited_lanes_kernel, 1, 32, 0, nullptr, y); }
void shuffle_waits_for_barrier(float* y) { launch(shuffle_waits_for_barrier_kernel, 1, 32, 0, nullptr, y); }
void dynamic_shared_overflow(float* y, int threads) {
  launch(dynamic_shared_overflow_kernel, 1, threads, threads * sizeof(float), nullptr, y);
}
void static_shared_overflow(float* y) { launch(static_shared_overflow_kernel, 1, 32, 0, nullptr, y); }

}  // namespace heatmark::HM_BACKEND::sim_test
