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

// The device to run on when `requested` is asked for: a CUDA device when it
// exists; otherwise the CPU, after printing a one-line notice to stderr
// (once per process). CPU and Emu are returned as they are.
Device usable_device(Device requested);

}  // namespace heatmark::cuda
