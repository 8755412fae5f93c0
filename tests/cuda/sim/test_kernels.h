// Kernels that test the emulator itself (test_kernels.cu): correct ones that
// exercise one feature each, and planted bugs the emulator must catch.
#pragma once

#include <cstdint>

#define HM_DECLARE_SIM_TEST_KERNELS                                                                          \
  /* y[i] = x[block_start + blockDim - 1 - t]: a reversal through dynamic shared memory. n is a multiple    \
     of `block`. */                                                                                         \
  void reverse_in_block(const float* x, float* y, int64_t n, int block);                                    \
  /* y[i] = x[i - 1] within each block (0 at the block start), staged through dynamic shared memory; the   \
     barrier between the write and the read can be left out (the planted missing-barrier bug). */         \
  void shift_in_block(const float* x, float* y, int64_t n, int block, bool with_barrier);                   \
  /* Every lane gets its warp's sum through a __shfl_xor_sync butterfly. */                                 \
  void warp_xor_sum(const float* x, float* y, int64_t n);                                                   \
  /* The same in blocks of `block` threads: a full-mask shuffle assumes full warps (planted: 48). */       \
  void warp_xor_sum_in_blocks_of(const float* x, float* y, int64_t n, int block);                           \
  /* ballot/any/all of x[i] > 0 per warp, written per lane. */                                              \
  void warp_votes(const float* x, unsigned* ballot, int* any, int* all, int64_t n);                         \
  /* Shuffles within segments of `width` lanes: index (lane + 3) % width, up by 1, down by 2. */            \
  void warp_shuffles(const float* x, float* index, float* up, float* down, int64_t n, int width);           \
  /* total += 1 and max_index = max(i) over n threads, with atomics across blocks. */                       \
  void atomics(float* total, int* max_index, int64_t n);                                                    \
  /* Planted bugs, each launched with one block of `threads` threads. */                                    \
  void divergent_barrier(float* y, int threads);        /* lanes < 16 skip a __syncthreads */               \
  void early_exit_before_barrier(float* y, int threads); /* threads >= 20 return before a barrier */        \
  void shuffle_mask_excludes_caller(float* y);           /* 32 lanes, mask 0x0000ffff */                    \
  void shuffle_with_exited_lanes(float* y);              /* lanes >= 16 exit, mask 0xffffffff */            \
  void shuffle_waits_for_barrier(float* y);              /* lanes 0-15 shuffle, 16-31 at __syncthreads */   \
  void dynamic_shared_overflow(float* y, int threads);   /* writes one float past the dynamic buffer */     \
  void static_shared_overflow(float* y);                 /* indexes a __shared__ float[32] at 32 */

namespace heatmark::emu::sim_test {
HM_DECLARE_SIM_TEST_KERNELS
}
#if HEATMARK_HAS_CUDA
namespace heatmark::cuda::sim_test {
HM_DECLARE_SIM_TEST_KERNELS
}
#endif
