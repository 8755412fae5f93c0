// Kernels that test the emulator's memory model; see memory_model_kernels.h.
// Compiled only as the traced emulator copy: the static shared array over the
// limit is a planted fault that nvcc would refuse to build.
#include "cuda/kernel_api.h"
#include "tests/cuda/sim/memory_model_kernels.h"

namespace heatmark::HM_BACKEND::memory_test {

__global__ void coalesced_copy_kernel(const float* x, float* y) {
  const int i = threadIdx.x;
  y[i] = x[i];
}
constexpr int kCoalescedCopyLine = __LINE__ - 2;

__global__ void strided_load_kernel(const float* x, float* y) {
  const int i = threadIdx.x;
  y[i] = x[32 * i];
}
constexpr int kStridedLoadLine = __LINE__ - 2;

__global__ void strided_store_kernel(const float* x, float* y) {
  const int i = threadIdx.x;
  y[32 * i] = x[i];
}
constexpr int kStridedStoreLine = __LINE__ - 2;

__global__ void broadcast_load_kernel(const float* x, float* y) {
  const int i = threadIdx.x;
  y[i] = x[0];
}
constexpr int kBroadcastLoadLine = __LINE__ - 2;

template <int kPitch>
__global__ void column_store_to_shared_kernel(const float* x, float* y) {
  __shared__ float tile[32][kPitch];
  const int lane = threadIdx.x;
  tile[lane][0] = x[lane];
  __syncthreads();
  y[lane] = tile[31 - lane][0];
}
constexpr int kColumnStoreLine = __LINE__ - 4;

__global__ void static_shared_over_the_limit_kernel(float* y) {
  __shared__ float big[13 * 1024];  // 52 KiB
  for (int i = threadIdx.x; i < 13 * 1024; i += blockDim.x) big[i] = float(i);
  __syncthreads();
  y[threadIdx.x] = big[13 * 1024 - 1 - threadIdx.x];
}

__global__ void dynamic_shared_kernel(float* y) {
  HM_DYNAMIC_SHARED(float, buffer);
  buffer[threadIdx.x] = float(threadIdx.x);
  __syncthreads();
  y[threadIdx.x] = buffer[threadIdx.x];
}

int coalesced_copy(const float* x, float* y, int warps) {
  launch(coalesced_copy_kernel, 1, 32 * warps, 0, nullptr, x, y);
  return kCoalescedCopyLine;
}
int strided_load(const float* x, float* y, int warps) {
  launch(strided_load_kernel, 1, 32 * warps, 0, nullptr, x, y);
  return kStridedLoadLine;
}
int strided_store(const float* x, float* y, int warps) {
  launch(strided_store_kernel, 1, 32 * warps, 0, nullptr, x, y);
  return kStridedStoreLine;
}
int broadcast_load(const float* x, float* y, int warps) {
  launch(broadcast_load_kernel, 1, 32 * warps, 0, nullptr, x, y);
  return kBroadcastLoadLine;
}
int column_store_to_shared(const float* x, float* y, bool padded) {
  if (padded)
    launch(column_store_to_shared_kernel<33>, 1, 32, 0, nullptr, x, y);
  else
    launch(column_store_to_shared_kernel<32>, 1, 32, 0, nullptr, x, y);
  return kColumnStoreLine;
}
void static_shared_over_the_limit(float* y) { launch(static_shared_over_the_limit_kernel, 1, 32, 0, nullptr, y); }
bool dynamic_shared(float* y, int bytes, int opt_in) {
  if (opt_in > 0 && cudaFuncSetAttribute(dynamic_shared_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, opt_in) !=
                        cudaSuccess)
    return false;
  launch(dynamic_shared_kernel, 1, 32, static_cast<size_t>(bytes), nullptr, y);
  return true;
}

}  // namespace heatmark::HM_BACKEND::memory_test
