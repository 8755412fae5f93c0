// Loading a shared library at run time (dlopen), so that the vendor paths
// (cuDNN, cuBLAS) are needed only when they are used: a heatmark binary runs
// on machines without them, and says clearly what is missing when asked for
// vendor kernels there.
#pragma once

#include <string>
#include <vector>

namespace heatmark {

class DynamicLibrary {
 public:
  // Tries each name in turn (plain names go through the loader's search
  // path), then the same names under $CUDA_HOME/lib64, $CUDA_PATH/lib64 and
  // the toolkit this build used. Throws a one-line heatmark::Error naming the
  // library, what was tried and `to_install` (what provides it).
  DynamicLibrary(const std::vector<std::string>& names, const std::string& to_install);
  ~DynamicLibrary();
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;

  // The address of `symbol`; throws heatmark::Error naming it and the library.
  void* symbol(const char* symbol) const;
  const std::string& path() const { return path_; }

 private:
  void* handle_ = nullptr;
  std::string path_;
};

}  // namespace heatmark
