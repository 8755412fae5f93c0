#include "tensor/parallel.h"

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

void set_num_threads(int threads) {
  init_cpu_runtime();
  omp_set_num_threads(std::max(1, threads));
}

}  // namespace heatmark
