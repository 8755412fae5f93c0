#include "cuda/vendor/cuda_libraries.h"

#include <cstdlib>

namespace heatmark::vendor {

std::vector<std::string> cuda_library_folders() {
  std::vector<std::string> folders;
  for (const char* env : {"CUDA_HOME", "CUDA_PATH"})
    if (const char* root = std::getenv(env)) folders.push_back(std::string(root) + "/lib64");
#ifdef HEATMARK_CUDA_LIBRARY_DIR
  folders.push_back(HEATMARK_CUDA_LIBRARY_DIR);
#endif
  return folders;
}

std::string cuda_library_remedy(const std::string& package) {
  return "install " + package + " or set CUDA_HOME to where it is, or use --kernels handwritten";
}

}  // namespace heatmark::vendor
