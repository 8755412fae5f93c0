#include "tensor/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace heatmark {

namespace {

std::string reason() { return std::strerror(errno); }

void write_all(int fd, std::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write {}: {}", path, reason());
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::function<void()>& before_replace) {
  const std::filesystem::path target(path);
  const std::filesystem::path folder = target.has_parent_path() ? target.parent_path() : ".";
  // A hidden sibling: ".name.tmp-XXXXXX" (built with append: GCC 12 warns falsely on "." + string).
  std::string temp_name(".");
  temp_name.append(target.filename().string()).append(".tmp-XXXXXX");
  std::string temp = (folder / temp_name).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail("cannot create a temporary file next to {}: {}", path, reason());
  try {
    // mkstemp creates the file private (0600); give it the usual permissions.
    if (::fchmod(fd, 0644) != 0) fail("cannot set permissions of {}: {}", temp, reason());
    write_all(fd, bytes, temp);
    if (::fsync(fd) != 0) fail("cannot flush {} to disk: {}", temp, reason());
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  // close() can report a deferred write error (NFS, quotas): the data is not safe then.
  if (::close(fd) != 0) {
    const std::string why = reason();
    ::unlink(temp.c_str());
    fail("cannot close {}: {}", temp, why);
  }
  if (before_replace) {
    try {
      before_replace();
    } catch (...) {
      ::unlink(temp.c_str());
      throw;
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = reason();
    ::unlink(temp.c_str());
    fail("cannot replace {}: {}", path, why);
  }
  // Make the rename itself durable.
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open {}: {}", path, reason());
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) fail("cannot read {}: {}", path, reason());
  return contents.str();
}

}  // namespace heatmark
