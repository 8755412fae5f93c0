// The heatmark command line as a child process the test controls: its output
// read as it comes, signals sent mid-run, limits set before it starts.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace heatmark::testing {

struct CliResult {
  int status;          // the exit status (-1 when a signal ended it)
  std::string output;  // stdout and stderr
};

// Runs HEATMARK_CLI with `args` (split by the shell) to the end.
CliResult run_cli(const std::string& args);

struct ChildOptions {
  long file_size_limit = -1;  // RLIMIT_FSIZE in bytes (-1: none), as on a nearly full disk
  std::vector<std::pair<std::string, std::string>> environment;  // added to the parent's
};

class Child {
 public:
  // Starts HEATMARK_CLI with `args`; stdout and stderr go to one pipe.
  Child(const std::vector<std::string>& args, const ChildOptions& options = {});
  ~Child();  // kills the child if it still runs
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads output until it contains `marker` (true) or the child ends or
  // `timeout_seconds` pass (false).
  bool wait_for_output(const std::string& marker, double timeout_seconds);
  void signal(int signal_number);
  // Waits for the end: the exit status, or 128 + the signal that ended it.
  int wait();
  const std::string& output() const { return output_; }  // everything read so far

 private:
  enum class Read { Data, Timeout, Closed };
  Read read_some(double timeout_seconds);
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
  bool exited_ = false;
  int status_ = 0;
};

}  // namespace heatmark::testing
