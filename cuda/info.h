// What this build knows about CUDA: whether it was built in, the toolkit
// version, and the GPUs present at run time. Safe to call on any machine: no
// driver or no GPU is reported, never a crash.
#pragma once

#include <string>

namespace heatmark::cuda {

bool built_with_cuda();
std::string toolkit_version();  // "13.0", or "" without CUDA
int device_count();             // 0 without CUDA, driver or GPU
// One line: "1 GPU: NVIDIA H200 (sm_90, 139 GiB)" or why there is none.
std::string device_summary();

}  // namespace heatmark::cuda
