// Where the CUDA vendor libraries (cuDNN, cuBLAS) are looked for besides the
// loader's search path, and what a failure to load one says to do.
//
// The folder list is a pure function of what it is given (environment
// values, the build's toolkit folder, a way to list a folder), so that a test
// can check it on a made-up tree; library_search_roots() and list_folder()
// are what the process itself gives it.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace heatmark::vendor {

// One vendor library: its file, and the folders under a Python environment's
// site-packages where NVIDIA's pip wheel of it puts that file.
struct VendorLibrary {
  std::string file;                        // "libcudnn.so.9"
  std::vector<std::string> wheel_folders;  // {"nvidia/cudnn/lib"}
};

// The places the search starts from; empty when unset.
struct LibrarySearchRoots {
  std::string virtual_env;   // $VIRTUAL_ENV: an activated Python venv, PyTorch's for instance
  std::string conda_prefix;  // $CONDA_PREFIX: an activated conda environment
  std::string cuda_home;     // $CUDA_HOME
  std::string cuda_path;     // $CUDA_PATH
  std::string toolkit_library_dir;  // the library folder of the CUDA toolkit this build used
};

// This process's roots: the environment, and the build's toolkit folder.
LibrarySearchRoots library_search_roots();

// The names of the entries of `folder`, sorted; none when it cannot be read.
using FolderLister = std::function<std::vector<std::string>(const std::string& folder)>;
std::vector<std::string> list_folder(const std::string& folder);

// The folders to try, in this order, after the loader's search path
// (LD_LIBRARY_PATH and the system's libraries, which DynamicLibrary tries
// first), each once:
//   - the wheel folders in each <venv>/lib/python*/site-packages, for the
//     virtual environment and then the conda environment, where pip installs
//     the nvidia-* wheels PyTorch runs on;
//   - <conda prefix>/lib, where conda's own packages put them;
//   - $CUDA_HOME/lib64, $CUDA_PATH/lib64 and the build's toolkit folder.
// `list` is asked only for <prefix>/lib, to find its python* folders.
std::vector<std::string> cuda_library_folders(const VendorLibrary& library, const LibrarySearchRoots& roots,
                                              const FolderLister& list);

// "install PACKAGE, or pip's WHEEL in the active Python environment, or set
// CUDA_HOME to where it is, or use --kernels handwritten"
std::string cuda_library_remedy(const std::string& package, const std::string& wheel);

}  // namespace heatmark::vendor
