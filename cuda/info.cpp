#include "cuda/info.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string_view>

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

bool cuda_required() {
  const char* value = std::getenv("HEATMARK_REQUIRE_CUDA");
  if (!value || !*value || std::string_view(value) == "0") return false;
  if (std::string_view(value) == "1") return true;
  fail("HEATMARK_REQUIRE_CUDA={}: expected 1 (a GPU is required) or 0 (the CPU may stand in)", value);
}

Device usable_device(Device requested) {
  const bool required = cuda_required();  // a bad value is refused whatever the device
  if (!requested.is_cuda() || requested.index < device_count()) return requested;
  HM_CHECK(!required, "HEATMARK_REQUIRE_CUDA=1: {} is not available ({}); not falling back to the CPU",
           requested.str(), device_summary());
  static std::atomic<bool> told{false};
  if (!told.exchange(true))
    std::fprintf(stderr, "heatmark: %s is not available (%s); running on the CPU\n", requested.str().c_str(),
                 device_summary().c_str());
  return Device::cpu();
}

}  // namespace heatmark::cuda
