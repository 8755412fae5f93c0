// Checked CUDA calls. Every runtime call goes through HM_CUDA_CHECK, which
// turns a failure into a heatmark::Error naming the call, the file and line,
// the CUDA error, and a hint about the usual cause.
//
// Debug-sync mode (HEATMARK_CUDA_DEBUG_SYNC=1, or set_debug_sync(true))
// synchronises after every kernel launch, so an asynchronous fault is
// reported at the kernel that caused it rather than at a later call.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

namespace heatmark::cuda {

void check(cudaError_t status, const char* call, const char* file, int line);
// A sentence on what usually causes `status` and what to try.
std::string hint(cudaError_t status);

void set_debug_sync(bool enabled);
bool debug_sync();

// Called after every launch (see cuda/kernel_api.h).
void check_launch(const void* kernel);

}  // namespace heatmark::cuda

#define HM_CUDA_CHECK(call) ::heatmark::cuda::check((call), #call, __FILE__, __LINE__)
