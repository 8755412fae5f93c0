#include "tensor/parallel.h"

#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "base/error.h"
#include "tensor/cpu/tile_kernels.h"

namespace heatmark {

void init_cpu_runtime() {
  // A bad HEATMARK_CPU_KERNELS is reported here, at start-up, not at the first
  // convolution. tile_kernels() chooses once, in a function-local static. Not
  // std::call_once: in a static binary an exception cannot unwind through
  // glibc's pthread_once, and the refusal became an abort.
  cpu::tile_kernels();
}

std::string cpu_kernels() { return cpu::tile_kernels().name; }

int num_threads() {
  init_cpu_runtime();
  return omp_get_max_threads();
}

namespace {
constexpr int kMaxThreads = 1024;  // as --threads documents

// Starts threads - 1 threads that wait until all have started, then ends
// them: the OpenMP runtime starts as many at the first parallel loop, and
// when the system refuses one (a process or memory limit) it prints its own
// message and exits. Asking first turns that into a clear error up front.
void check_threads_can_start(int threads) {
  std::mutex mutex;
  std::condition_variable go;
  bool release = false;
  std::vector<std::thread> started;
  std::string refusal;
  try {
    for (int i = 1; i < threads; ++i)
      started.emplace_back([&] {
        std::unique_lock<std::mutex> lock(mutex);
        go.wait(lock, [&] { return release; });
      });
  } catch (const std::system_error& e) {
    refusal = e.what();
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  go.notify_all();
  for (std::thread& t : started) t.join();
  HM_CHECK(refusal.empty(), "cannot start {} CPU threads: the system refused the {}th ({}); lower --threads",
           threads, started.size() + 2, refusal);
}
}  // namespace

void set_num_threads(int threads) {
  init_cpu_runtime();
  HM_CHECK(threads >= 1 && threads <= kMaxThreads, "CPU threads must be in [1, {}], got {}", kMaxThreads, threads);
  check_threads_can_start(threads);
  omp_set_num_threads(threads);
}

}  // namespace heatmark
