// The one header every hand-written kernel file (.cu) includes.
//
// Each .cu file is compiled two or three times:
//   - by nvcc, for real GPUs: kernels and launchers land in heatmark::cuda;
//   - by the host C++ compiler with HEATMARK_SIM=1, against the CPU SIMT
//     emulator (cuda/sim/sim.h): the same source lands in heatmark::emu;
//   - in builds with the memory model, once more for the emulator with
//     address instrumentation (HEATMARK_SIM_TRACED=1): heatmark::emu_traced.
// Kernel files write `namespace heatmark::HM_BACKEND { ... }`, launch with
//   launch(kernel, grid, block, shared_bytes, stream, args...)
// (which is kernel<<<grid, block, shared_bytes, stream>>>(args...) under
// nvcc), and declare dynamic shared memory with HM_DYNAMIC_SHARED.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cuda/kernels/launchers.h"

#if HEATMARK_SIM

#include "cuda/sim/sim.h"
#if HEATMARK_SIM_TRACED
#define HM_BACKEND emu_traced  // the memory model's instrumented copy (cuda/sim/memory_model.h)
#else
#define HM_BACKEND emu
#endif
#define HM_DYNAMIC_SHARED(type, name) type* name = reinterpret_cast<type*>(::heatmark::sim::dynamic_shared_memory())

#else

#include <cuda_runtime.h>
#define HM_BACKEND cuda
#define HM_DYNAMIC_SHARED(type, name)                                   \
  extern __shared__ __align__(16) unsigned char hm_dynamic_shared_[]; \
  type* name = reinterpret_cast<type*>(hm_dynamic_shared_)

namespace heatmark::cuda {
// Checks the launch that just happened (and, in debug-sync mode, waits for it
// and checks its execution); throws heatmark::Error naming the kernel.
void check_launch(const void* kernel);
}  // namespace heatmark::cuda

template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream,
            Args... args) {
  kernel<<<grid, block, shared_bytes, stream>>>(args...);
  ::heatmark::cuda::check_launch(reinterpret_cast<const void*>(kernel));
}

#endif

namespace heatmark::HM_BACKEND {

// The index of this thread in a 1-D grid, and the stride of a grid-stride loop.
__device__ inline int64_t global_thread_index() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ inline int64_t grid_stride() { return int64_t(gridDim.x) * blockDim.x; }

// Threads per block of every 1-D kernel: the grid-stride loops and the block
// reductions (block_reduce.cuh) alike.
inline constexpr int kBlockSize = 256;

// Blocks for a grid-stride loop over n elements: enough to fill a GPU, few
// enough that each thread handles several elements (which also keeps the
// emulator's per-block overhead small).
inline unsigned grid_for(int64_t n, int block = kBlockSize, int64_t max_blocks = 2048) {
  const int64_t blocks = (n + block - 1) / block;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > max_blocks ? max_blocks : blocks));
}

}  // namespace heatmark::HM_BACKEND
