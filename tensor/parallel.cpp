#include "tensor/parallel.h"

#include <cblas.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

// OpenBLAS's run-time kernel selection (DYNAMIC_ARCH builds, as Debian's).
// Weak: absent from builds without it.
extern "C" {
__attribute__((weak)) void gotoblas_dynamic_init(void);
__attribute__((weak)) void gotoblas_dynamic_quit(void);
__attribute__((weak)) char* openblas_get_corename(void);
}

namespace heatmark {

namespace {

// OpenBLAS picks its kernels from the CPU model. On CPUs it does not know
// (virtual machines often report a generic "Xeon Processor") it falls back to
// Prescott's SSE3 kernels, 3-4x slower than the AVX-512 or AVX2 ones the CPU
// has. Unless the user chose with OPENBLAS_CORETYPE, re-select by the CPU's
// features: SkylakeX (AVX-512), else Haswell (AVX2 + FMA).
void select_openblas_kernels() {
  if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit || !openblas_get_corename) return;
  if (std::getenv("OPENBLAS_CORETYPE")) return;
  const char* core = openblas_get_corename();
  const bool generic = core && (std::strcmp(core, "Prescott") == 0 || std::strcmp(core, "Core2") == 0 ||
                                std::strcmp(core, "Nehalem") == 0 || std::strcmp(core, "Unknown") == 0);
  if (!generic) return;
  const char* better = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
    better = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    better = "Haswell";
  if (!better) return;
  ::setenv("OPENBLAS_CORETYPE", better, 0);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
}

}  // namespace

void init_cpu_runtime() {
  static std::once_flag once;
  std::call_once(once, [] {
    select_openblas_kernels();
    openblas_set_num_threads(1);
  });
}

std::string blas_kernels() {
  init_cpu_runtime();
  return openblas_get_corename ? openblas_get_corename() : "unknown";
}

int blas_threads() {
  init_cpu_runtime();
  return openblas_get_num_threads();
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
