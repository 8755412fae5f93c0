#include "cuda/vendor/cuda_libraries.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace heatmark::vendor {

namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The site-packages folders of the Python environment at `prefix`: one per
// lib/python3.X it has (a venv normally has one).
std::vector<std::string> site_packages(const std::string& prefix, const FolderLister& list) {
  std::vector<std::string> folders;
  for (const std::string& name : list(prefix + "/lib"))
    if (name.rfind("python", 0) == 0) folders.push_back(prefix + "/lib/" + name + "/site-packages");
  return folders;
}

}  // namespace

LibrarySearchRoots library_search_roots() {
  LibrarySearchRoots roots;
  roots.virtual_env = environment("VIRTUAL_ENV");
  roots.conda_prefix = environment("CONDA_PREFIX");
  roots.cuda_home = environment("CUDA_HOME");
  roots.cuda_path = environment("CUDA_PATH");
#ifdef HEATMARK_CUDA_LIBRARY_DIR
  roots.toolkit_library_dir = HEATMARK_CUDA_LIBRARY_DIR;
#endif
  return roots;
}

std::vector<std::string> list_folder(const std::string& folder) {
  std::vector<std::string> names;
  std::error_code error;  // a folder that is missing or unreadable has no entries
  for (auto it = std::filesystem::directory_iterator(folder, error); !error && it != std::filesystem::end(it);
       it.increment(error))
    names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> cuda_library_folders(const VendorLibrary& library, const LibrarySearchRoots& roots,
                                              const FolderLister& list) {
  std::vector<std::string> folders;
  auto add = [&](const std::string& folder) {
    if (std::find(folders.begin(), folders.end(), folder) == folders.end()) folders.push_back(folder);
  };
  for (const std::string* prefix : {&roots.virtual_env, &roots.conda_prefix}) {
    if (prefix->empty()) continue;
    for (const std::string& site : site_packages(*prefix, list))
      for (const std::string& wheel_folder : library.wheel_folders) add(site + "/" + wheel_folder);
  }
  if (!roots.conda_prefix.empty()) add(roots.conda_prefix + "/lib");
  for (const std::string* root : {&roots.cuda_home, &roots.cuda_path})
    if (!root->empty()) add(*root + "/lib64");
  if (!roots.toolkit_library_dir.empty()) add(roots.toolkit_library_dir);
  return folders;
}

std::string cuda_library_remedy(const std::string& package, const std::string& wheel) {
  return "install " + package + ", or pip's " + wheel + " in the active Python environment, or set CUDA_HOME to " +
         "where it is, or use --kernels handwritten";
}

}  // namespace heatmark::vendor
