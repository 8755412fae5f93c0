#include "tensor/parallel.h"

#include <cblas.h>

#include <mutex>

namespace heatmark {

void init_cpu_runtime() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

int num_threads() {
  init_cpu_runtime();
  return omp_get_max_threads();
}

void set_num_threads(int threads) {
  init_cpu_runtime();
  omp_set_num_threads(std::max(1, threads));
}

}  // namespace heatmark
