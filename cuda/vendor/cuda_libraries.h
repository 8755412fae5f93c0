// Where the CUDA vendor libraries (cuDNN, cuBLAS) are looked for besides the
// loader's search path, and what a failure to load one says to do.
#pragma once

#include <string>
#include <vector>

namespace heatmark::vendor {

// $CUDA_HOME/lib64, $CUDA_PATH/lib64 and the library folder of the toolkit
// this build used.
std::vector<std::string> cuda_library_folders();
// "install PACKAGE or set CUDA_HOME to where it is, or use --kernels handwritten"
std::string cuda_library_remedy(const std::string& package);

}  // namespace heatmark::vendor
