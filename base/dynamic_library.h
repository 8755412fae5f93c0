// Loading a shared library at run time (dlopen), so that the vendor paths
// (cuDNN and cuBLAS on CUDA devices, oneDNN on the CPU) are needed only when
// they are used: a heatmark binary runs on machines without them, and says
// clearly what is missing when asked for vendor kernels there.
#pragma once

#include <string>
#include <vector>

namespace heatmark {

class DynamicLibrary {
 public:
  // Tries each name in turn as given (plain names go through the loader's
  // search path), then the same names in each of `folders` (where a toolkit
  // outside that path keeps them). Throws a one-line heatmark::Error naming
  // the library, the loader's reason, what was tried and `remedy` (what to
  // install or set).
  DynamicLibrary(const std::vector<std::string>& names, const std::vector<std::string>& folders,
                 const std::string& remedy);
  ~DynamicLibrary();
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;

  // The address of `symbol`, in the library or the libraries it depends on;
  // throws heatmark::Error naming it and the library.
  void* symbol(const char* symbol) const;
  // The same, or nullptr when there is no such symbol.
  void* find_symbol(const char* symbol) const;
  // The definition the library's own references to `symbol` bind to: the
  // loader looks in the process's global scope first (the executable, what
  // it links, LD_PRELOAD), then in the library and its dependencies.
  // nullptr when there is none.
  void* binding(const char* symbol) const;
  const std::string& path() const { return path_; }

 private:
  void* handle_ = nullptr;
  std::string path_;
};

// The start of the loaded object (executable or shared library) that holds
// `address`, to tell whether two symbols come from the same one; nullptr for
// an address in none.
const void* loaded_object_of(const void* address);

}  // namespace heatmark
