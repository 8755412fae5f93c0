#include "cuda/runtime/check.h"

#include <cstdlib>

#include <fmt/format.h>

#include "base/error.h"
#include "cuda/symbol_name.h"

namespace heatmark::cuda {

namespace {
bool debug_sync_from_environment() {
  const char* value = std::getenv("HEATMARK_CUDA_DEBUG_SYNC");
  return value && std::string(value) != "0";
}
bool debug_sync_enabled = debug_sync_from_environment();
}  // namespace

std::string hint(cudaError_t status) {
  switch (status) {
    case cudaErrorMemoryAllocation:
      return "the GPU is out of memory: lower the batch size or the input size";
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
      return "no usable GPU or driver: run with --device cpu, or check nvidia-smi";
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorInvalidDeviceFunction:
      return "this binary has no code for this GPU: rebuild with -DCMAKE_CUDA_ARCHITECTURES set to its sm_ number";
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
      return "a kernel accessed memory out of bounds: rerun with HEATMARK_CUDA_DEBUG_SYNC=1 to find which, and "
             "test it under the emulator (--device emu) with the sanitizer build";
    case cudaErrorInvalidConfiguration:
      return "bad launch configuration (block size, grid size or shared memory)";
    default:
      return "see the CUDA error above";
  }
}

void check(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  cudaGetLastError();
  fail("CUDA error {} ({}) in {} at {}:{}; hint: {}", cudaGetErrorName(status), cudaGetErrorString(status), call,
       file, line, hint(status));
}

void set_debug_sync(bool enabled) { debug_sync_enabled = enabled; }
bool debug_sync() { return debug_sync_enabled; }

void check_launch(const void* kernel) {
  cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess && debug_sync_enabled) status = cudaDeviceSynchronize();
  if (status == cudaSuccess) return;
  cudaGetLastError();
  fail("CUDA error {} ({}) in kernel '{}'; hint: {}", cudaGetErrorName(status), cudaGetErrorString(status),
       function_name(kernel), hint(status));
}

}  // namespace heatmark::cuda
