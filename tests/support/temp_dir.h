// A fresh folder under the system's temporary folder for one test, removed
// with everything in it when the test ends (even if the test made it
// read-only).
#pragma once

#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <string>

namespace heatmark::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "heatmark-test-XXXXXX").string();
    path = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ignored;  // a destructor must not throw
    std::filesystem::permissions(path, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace heatmark::testing
