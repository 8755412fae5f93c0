#include "cuda/info.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdio>

#include "base/error.h"

#if HEATMARK_HAS_CUDA
#include <cuda_runtime_api.h>

#include "cuda/runtime/check.h"
#endif

namespace heatmark::cuda {

#if HEATMARK_HAS_CUDA

bool built_with_cuda() { return true; }

std::string toolkit_version() { return fmt::format("{}.{}", CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10); }

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the error so later calls start clean
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

void use_device(int index) {
  const int count = device_count();
  HM_CHECK(index >= 0 && index < count, "device cuda:{} is not available: {}", index, device_summary());
  HM_CUDA_CHECK(cudaSetDevice(index));
}

#else

bool built_with_cuda() { return false; }
std::string toolkit_version() { return ""; }
int device_count() { return 0; }
std::string device_summary() { return "CUDA not built in"; }
void use_device(int index) { fail("device cuda:{} is not available: this build of heatmark has no CUDA backend", index); }

#endif

Device usable_device(Device requested) {
  if (!requested.is_cuda() || requested.index < device_count()) return requested;
  static std::atomic<bool> told{false};
  if (!told.exchange(true))
    std::fprintf(stderr, "heatmark: %s is not available (%s); running on the CPU\n", requested.str().c_str(),
                 device_summary().c_str());
  return Device::cpu();
}

}  // namespace heatmark::cuda
