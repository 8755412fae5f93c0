#include "cuda/vendor/dynamic_library.h"

#include <dlfcn.h>

#include <cstdlib>

#include "base/error.h"

namespace heatmark {

DynamicLibrary::DynamicLibrary(const std::vector<std::string>& names, const std::string& to_install) {
  std::vector<std::string> folders{""};
  for (const char* env : {"CUDA_HOME", "CUDA_PATH"})
    if (const char* root = std::getenv(env)) folders.push_back(std::string(root) + "/lib64/");
#ifdef HEATMARK_CUDA_LIBRARY_DIR
  folders.push_back(std::string(HEATMARK_CUDA_LIBRARY_DIR) + "/");
#endif
  std::string tried, first_reason;
  for (const std::string& folder : folders)
    for (const std::string& name : names) {
      const std::string candidate = folder + name;
      handle_ = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle_) {
        path_ = candidate;
        return;
      }
      // The loader's reason for the first name tried: "not found", or a
      // present but broken library (a missing dependency, no memory to map it).
      if (first_reason.empty())
        if (const char* reason = ::dlerror()) first_reason = reason;
      tried += (tried.empty() ? "" : ", ") + candidate;
    }
  fail("cannot load {}: {} (tried {}); install {} or set CUDA_HOME to where it is, or use --kernels handwritten",
       names.front(), first_reason, tried, to_install);
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
