#include "base/dynamic_library.h"

#include <dlfcn.h>

#include "base/error.h"

namespace heatmark {

DynamicLibrary::DynamicLibrary(const std::vector<std::string>& names, const std::vector<std::string>& folders,
                               const std::string& remedy) {
  std::vector<std::string> prefixes{""};
  for (const std::string& folder : folders) prefixes.push_back(folder + "/");
  std::string tried, first_reason;
  for (const std::string& prefix : prefixes)
    for (const std::string& name : names) {
      const std::string candidate = prefix + name;
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
  fail("cannot load {}: {} (tried {}); {}", names.front(), first_reason, tried, remedy);
}

DynamicLibrary::~DynamicLibrary() {
  if (handle_) ::dlclose(handle_);
}

void* DynamicLibrary::find_symbol(const char* name) const { return ::dlsym(handle_, name); }

void* DynamicLibrary::binding(const char* name) const {
  if (void* global = ::dlsym(RTLD_DEFAULT, name)) return global;
  return find_symbol(name);
}

const void* loaded_object_of(const void* address) {
  Dl_info info{};
  return address && ::dladdr(address, &info) ? info.dli_fbase : nullptr;
}

void* DynamicLibrary::symbol(const char* name) const {
  void* address = find_symbol(name);
  HM_CHECK(address != nullptr, "{} has no symbol {}: the library is not the version this build expects", path_, name);
  return address;
}

}  // namespace heatmark
