#include "cuda/vendor/dynamic_library.h"

#include <dlfcn.h>

#include <cstdlib>

#include "tensor/error.h"

namespace heatmark {

DynamicLibrary::DynamicLibrary(const std::vector<std::string>& names) {
  std::vector<std::string> folders{""};
  for (const char* env : {"CUDA_HOME", "CUDA_PATH"})
    if (const char* root = std::getenv(env)) folders.push_back(std::string(root) + "/lib64/");
#ifdef HEATMARK_CUDA_LIBRARY_DIR
  folders.push_back(std::string(HEATMARK_CUDA_LIBRARY_DIR) + "/");
#endif
  std::string tried;
  for (const std::string& folder : folders)
    for (const std::string& name : names) {
      const std::string candidate = folder + name;
      handle_ = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle_) {
        path_ = candidate;
        return;
      }
      tried += (tried.empty() ? "" : ", ") + candidate;
    }
  fail("cannot load {} (tried {}); install it or set CUDA_HOME, or use --kernels handwritten", names.front(), tried);
}

DynamicLibrary::~DynamicLibrary() {
  if (handle_) ::dlclose(handle_);
}

void* DynamicLibrary::symbol(const char* name) const {
  void* address = ::dlsym(handle_, name);
  HM_CHECK(address != nullptr, "{} has no symbol {}: the library is not the version this build expects", path_, name);
  return address;
}

}  // namespace heatmark
