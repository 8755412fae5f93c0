#include "tensor/output_paths.h"

#include <algorithm>
#include <filesystem>

#include "base/error.h"

namespace heatmark {

namespace fs = std::filesystem;

namespace {
// The absolute path with "..", "." and the symbolic links of its existing part resolved.
fs::path resolved(const std::string& path) {
  std::error_code error;
  fs::path p = fs::weakly_canonical(fs::absolute(path), error);
  return error ? fs::absolute(path).lexically_normal() : p;
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i)
    text += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
  return text;
}
}  // namespace

bool same_file(const std::string& a, const std::string& b) {
  std::error_code error;
  if (fs::exists(a, error) && fs::exists(b, error)) {
    const bool same = fs::equivalent(a, b, error);
    if (!error) return same;
  }
  return resolved(a) == resolved(b);
}

bool path_within(const std::string& inner, const std::string& outer) {
  const fs::path in = resolved(inner), out = resolved(outer);
  auto i = in.begin();
  for (auto o = out.begin(); o != out.end(); ++o, ++i) {
    if (o->empty()) continue;  // the empty last element of a path ending in '/'
    if (i == in.end() || *i != *o) return false;
  }
  return true;
}

std::string output_format(const std::string& path, const std::string& flag, const std::vector<std::string>& allowed) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  HM_CHECK(std::find(allowed.begin(), allowed.end(), ext) != allowed.end(),
           "{} {}: unknown output format '{}' (use {})", flag, path, ext.empty() ? "(no extension)" : ext,
           join(allowed));
  return ext;
}

void check_output_file(const std::string& path, const std::string& flag, const std::vector<NamedInput>& inputs,
                       bool force) {
  for (const NamedInput& input : inputs)
    HM_CHECK(!same_file(path, input.path), "{} {} would replace {} {}; choose another file", flag, path, input.what,
             input.path);
  std::error_code error;
  HM_CHECK(!fs::is_directory(path, error), "{} {} is a folder; give a file name", flag, path);
  HM_CHECK(force || !fs::exists(path, error), "{} {} already exists; choose another file, or give --force to replace it",
           flag, path);
}

void check_output_folder(const std::string& path, const std::string& flag, bool force,
                         const std::vector<NamedInput>& folders, const std::vector<std::string>& ignored) {
  std::error_code error;
  for (const NamedInput& folder : folders)
    HM_CHECK(!path_within(folder.path, path), "{} {} is or holds {} {}; choose a folder outside it", flag, path,
             folder.what, folder.path);
  if (!fs::exists(path, error)) return;
  HM_CHECK(fs::is_directory(path, error), "{} {} is a file, not a folder", flag, path);
  if (force) return;
  int64_t entries = 0;
  for (const auto& e : fs::directory_iterator(path, error))
    if (std::find(ignored.begin(), ignored.end(), e.path().filename().string()) == ignored.end()) ++entries;
  HM_CHECK(entries == 0, "{} {} is not empty ({} entries); choose a new or empty folder, or give --force to write into it",
           flag, path, entries);
}

}  // namespace heatmark
