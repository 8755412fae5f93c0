// What this build knows about CUDA: whether it was built in, the toolkit
// version, the GPUs present at run time, and device selection. Safe to call
// on any machine: no driver or no GPU is reported, never a crash.
#pragma once

#include <string>

#include "base/device.h"

namespace heatmark::cuda {

bool built_with_cuda();
std::string toolkit_version();  // "13.0", or "" without CUDA
int device_count();             // 0 without CUDA, driver or GPU
// One line: "1 GPU: NVIDIA H200 (sm_90, 139 GiB)" or why there is none.
std::string device_summary();

// Makes GPU `index` current for this thread (cudaSetDevice); throws
// heatmark::Error naming the device when it does not exist.
void use_device(int index);

// HEATMARK_REQUIRE_CUDA=1 says that a run must use a GPU, so that a check
// meant for the GPU cannot pass on the CPU: usable_device() then refuses to
// fall back, and the op harness fails instead of leaving out its cuda
// backends. Unset, empty or 0: the fallback as usual. Any other value throws
// heatmark::Error naming the variable and the value. Read at every call.
bool cuda_required();

// The device to run on when `requested` is asked for: a CUDA device when it
// exists; otherwise the CPU, after printing a one-line notice to stderr
// (once per process), or with HEATMARK_REQUIRE_CUDA=1 a heatmark::Error
// naming the variable. CPU and Emu are returned as they are.
Device usable_device(Device requested);

}  // namespace heatmark::cuda
