// Stopping a training run gracefully on SIGINT (Ctrl-C) or SIGTERM: the
// handler only raises a flag; the trainer finishes the step in flight, writes
// a resumable checkpoint and returns. A second signal of the same kind ends
// the process at once (the default action), for when a step never finishes.
#pragma once

namespace heatmark {

// Installs the handlers (idempotent). The command line does this for `train`.
void install_stop_handlers();

// The signal that asked the run to stop (SIGINT or SIGTERM), or 0.
int stop_signal();

// For tests: as if the signal had arrived, or clear the flag.
void request_stop(int signal);
void clear_stop_request();

}  // namespace heatmark
