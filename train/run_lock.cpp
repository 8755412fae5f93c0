#include "train/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "base/error.h"

namespace heatmark {

RunFolderLock::RunFolderLock(const std::string& folder) {
  std::error_code created;
  std::filesystem::create_directories(folder, created);
  HM_CHECK(!created, "cannot create the run folder {}: {}", folder, created.message());
  const std::string path = (std::filesystem::path(folder) / kRunLockFile).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  HM_CHECK(fd_ >= 0, "cannot open the lock file {}: {}", path, std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char owner[32] = {};
    const ssize_t n = ::pread(fd_, owner, sizeof owner - 1, 0);
    ::close(fd_);
    fd_ = -1;
    HM_CHECK(error != EWOULDBLOCK, "run folder {} is in use by another heatmark train (process {}); wait for it to "
             "end, or choose another --out",
             folder, n > 0 ? std::string(owner, static_cast<size_t>(n)) : std::string("unknown"));
    fail("cannot lock the run folder {} ({}): {}", folder, path, std::strerror(error));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The id is only for messages: the lock holds without it.
  }
}

RunFolderLock::~RunFolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace heatmark
