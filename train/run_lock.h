// A run folder belongs to one training process at a time. The lock is an
// advisory flock(2) on <run>/train.lock, which the kernel releases when the
// process ends however it ends (a crash or kill -9 included), so a stale lock
// never needs cleaning up. The file holds the owner's process id, for the
// message that refuses a second trainer.
#pragma once

#include <string>

namespace heatmark {

inline constexpr const char* kRunLockFile = "train.lock";

class RunFolderLock {
 public:
  // Creates `folder` if needed and locks it; throws heatmark::Error naming
  // the folder and the process that holds it.
  explicit RunFolderLock(const std::string& folder);
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace heatmark
