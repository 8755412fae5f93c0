#include "data/annotation_path.h"

#include <filesystem>

#include "base/error.h"
#include "data/text.h"

namespace heatmark {

namespace fs = std::filesystem;

namespace {

// Whether `p` is `root` or below it; both absolute and normalised.
bool within(const fs::path& root, const fs::path& p) {
  auto q = p.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++q) {
    if (r->empty()) break;  // the empty last element of a trailing separator
    if (q == p.end() || *q != *r) return false;
  }
  return true;
}

// `p` made absolute and normalised without touching the file system.
fs::path lexical(const fs::path& p) {
  std::error_code error;
  const fs::path absolute = fs::absolute(p, error);
  return (error ? p : absolute).lexically_normal();
}

// `p` with its symbolic links resolved as far as it exists; lexical when the
// file system refuses (a name too long, a folder it may not read): opening it
// then fails too, with its own message.
fs::path resolved(const fs::path& p) {
  std::error_code error;
  const fs::path canonical = fs::weakly_canonical(p, error);
  return error ? lexical(p) : canonical.lexically_normal();
}

}  // namespace

std::string annotated_path(const std::string& folder, const std::string& name, const std::string& where,
                           bool allow_outside) {
  const fs::path path = fs::path(folder) / name;  // an absolute name replaces the folder
  if (allow_outside) return path.string();
  HM_CHECK(within(lexical(folder), lexical(path)),
           "{}: image '{}' is outside the dataset folder (give --allow-outside-paths to allow it)", where,
           printable(name));
  // The folder itself may be a link (to a shared disk): compare where both lead.
  const fs::path target = resolved(path);
  HM_CHECK(within(resolved(folder), target),
           "{}: image '{}' leads outside the dataset folder through a symbolic link, to {} (give "
           "--allow-outside-paths to allow it)",
           where, printable(name), printable(target.string()));
  return path.string();
}

}  // namespace heatmark
