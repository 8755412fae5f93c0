// Where cuDNN and cuBLAS are looked for (cuda/vendor/cuda_libraries.h): the
// folder list on made-up environments and trees, and the error when a library
// is in none of them. No GPU and no CUDA library is needed.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/dynamic_library.h"
#include "cuda/vendor/cuda_libraries.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using namespace heatmark::vendor;

namespace {

const VendorLibrary kCudnn{"libcudnn.so.9", {"nvidia/cudnn/lib"}};

// Sets an environment variable for one scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    set(value);
  }
  ~ScopedEnv() { set(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void set(const std::optional<std::string>& value) {
    if (value)
      ::setenv(name_, value->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("cuda libraries: pip's wheels in the venv and the conda environment come first, then CUDA_HOME and the toolkit") {
  const testing::TempDir tmp;
  // A PyTorch venv with cuDNN's wheel, as pip lays it out, and a folder of lib/ that is not a Python's.
  const std::string venv_wheel = tmp / "venv/lib/python3.12/site-packages/nvidia/cudnn/lib";
  testing::write_file(venv_wheel + "/libcudnn.so.9", "");
  std::filesystem::create_directories(tmp / "venv/lib/pkgconfig");
  std::filesystem::create_directories(tmp / "conda/lib/python3.11/site-packages");

  LibrarySearchRoots roots;
  roots.virtual_env = tmp / "venv";
  roots.conda_prefix = tmp / "conda";
  roots.cuda_home = tmp / "cuda";
  roots.cuda_path = tmp / "cuda";  // the same folder twice: looked in once
  roots.toolkit_library_dir = tmp / "toolkit/lib64";
  const std::vector<std::string> folders = cuda_library_folders(kCudnn, roots, list_folder);
  const std::vector<std::string> expected{venv_wheel, tmp / "conda/lib/python3.11/site-packages/nvidia/cudnn/lib",
                                          tmp / "conda/lib", tmp / "cuda/lib64", tmp / "toolkit/lib64"};
  CHECK(folders == expected);
  CHECK(std::filesystem::exists(folders.front() + "/" + kCudnn.file));
}

TEST_CASE("cuda libraries: every python folder of an environment is searched, for each wheel folder of the library") {
  std::vector<std::string> asked;
  const FolderLister list = [&](const std::string& folder) {
    asked.push_back(folder);
    return folder == "/env/lib" ? std::vector<std::string>{"libpython3.12.so", "python3.11", "python3.12"}
                                : std::vector<std::string>{};
  };
  LibrarySearchRoots roots;
  roots.virtual_env = "/env";
  const VendorLibrary cublas{"libcublas.so.13", {"nvidia/cu13/lib", "nvidia/cublas/lib"}};
  const std::vector<std::string> expected{
      "/env/lib/python3.11/site-packages/nvidia/cu13/lib", "/env/lib/python3.11/site-packages/nvidia/cublas/lib",
      "/env/lib/python3.12/site-packages/nvidia/cu13/lib", "/env/lib/python3.12/site-packages/nvidia/cublas/lib"};
  CHECK(cuda_library_folders(cublas, roots, list) == expected);
  CHECK(asked == std::vector<std::string>{"/env/lib"});  // only an environment's lib/ is listed
}

TEST_CASE("cuda libraries: with no environment set, only the build's toolkit is searched and no folder is listed") {
  int listed = 0;
  const FolderLister list = [&](const std::string&) {
    ++listed;
    return std::vector<std::string>{};
  };
  LibrarySearchRoots roots;
  CHECK(cuda_library_folders(kCudnn, roots, list).empty());
  roots.toolkit_library_dir = "/toolkit/lib64";
  CHECK(cuda_library_folders(kCudnn, roots, list) == std::vector<std::string>{"/toolkit/lib64"});
  CHECK(listed == 0);
}

TEST_CASE("cuda libraries: the process's roots come from VIRTUAL_ENV, CONDA_PREFIX, CUDA_HOME, CUDA_PATH and the build") {
  const ScopedEnv venv("VIRTUAL_ENV", "/envs/torch"), conda("CONDA_PREFIX", std::nullopt),
      home("CUDA_HOME", "/opt/cuda"), path("CUDA_PATH", std::nullopt);
  const LibrarySearchRoots roots = library_search_roots();
  CHECK(roots.virtual_env == "/envs/torch");
  CHECK(roots.conda_prefix.empty());
  CHECK(roots.cuda_home == "/opt/cuda");
  CHECK(roots.cuda_path.empty());
  // A CUDA build knows its toolkit's library folder; a CPU-only one has none.
  CHECK(roots.toolkit_library_dir.empty() == !HEATMARK_HAS_CUDA);
}

TEST_CASE("cuda libraries: a library in none of the folders is one error line naming every place looked") {
  const testing::TempDir tmp;
  std::filesystem::create_directories(tmp / "venv/lib/python3.12/site-packages");
  LibrarySearchRoots roots;
  roots.virtual_env = tmp / "venv";
  roots.cuda_home = tmp / "cuda";
  roots.toolkit_library_dir = tmp / "toolkit";
  const VendorLibrary absent{"libheatmark_absent.so.9", {"nvidia/absent/lib"}};
  const std::vector<std::string> folders = cuda_library_folders(absent, roots, list_folder);
  REQUIRE(folders.size() == 3);
  const std::string remedy = cuda_library_remedy("cuDNN 9 for CUDA 13 (NVIDIA's package cudnn9-cuda-13)",
                                                 "nvidia-cudnn-cu13");
  CHECK_ERROR(DynamicLibrary({absent.file}, folders, remedy), "cannot load libheatmark_absent.so.9",
              "tried libheatmark_absent.so.9, ",  // the loader's search path first
              folders[0] + "/libheatmark_absent.so.9", folders[1] + "/libheatmark_absent.so.9",
              folders[2] + "/libheatmark_absent.so.9", "install cuDNN 9 for CUDA 13", "pip's nvidia-cudnn-cu13",
              "set CUDA_HOME", "--kernels handwritten");
}
