#include "cuda/info.h"

#include <fmt/format.h>

#if HEATMARK_HAS_CUDA
#include <cuda_runtime_api.h>
#endif

namespace heatmark::cuda {

#if HEATMARK_HAS_CUDA

bool built_with_cuda() { return true; }

std::string toolkit_version() { return fmt::format("{}.{}", CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10); }

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return 0;
  }
  return count;
}

std::string device_summary() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return fmt::format("no usable GPU ({})", cudaGetErrorString(status));
  }
  if (count == 0) return "no GPU found";
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  return fmt::format("{} GPU{}: {} (sm_{}{}, {:.0f} GiB)", count, count > 1 ? "s" : "", prop.name, prop.major,
                     prop.minor, prop.totalGlobalMem / 1073741824.0);
}

#else

bool built_with_cuda() { return false; }
std::string toolkit_version() { return ""; }
int device_count() { return 0; }
std::string device_summary() { return "CUDA not built in"; }

#endif

}  // namespace heatmark::cuda
