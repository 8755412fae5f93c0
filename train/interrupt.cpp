#include "train/interrupt.h"

#include <csignal>

namespace heatmark {

namespace {
volatile std::sig_atomic_t pending_signal = 0;

extern "C" void on_stop_signal(int signal) {
  pending_signal = signal;
  std::signal(signal, SIG_DFL);  // the next one is not caught
}
}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking read wakes up with EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() { return pending_signal; }
void request_stop(int signal) { pending_signal = signal; }
void clear_stop_request() { pending_signal = 0; }

}  // namespace heatmark
