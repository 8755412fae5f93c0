// The CPU thread pool: OpenMP, used by every CPU kernel.
//
// There is exactly one pool. OpenBLAS is pinned to one thread (its own pool
// on top of ours oversubscribes the cores, measured 1.5-2.5x slower), so
// GEMM-shaped kernels split their work into independent items and call the
// single-threaded sgemm from inside parallel_for.
//
// Work is always split by the data (fixed item sizes), never by the thread
// count, so results are bitwise identical whatever the number of threads.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace heatmark {

// Number of threads the CPU backend uses (default: OMP_NUM_THREADS or all cores).
int num_threads();
void set_num_threads(int threads);
// Pins OpenBLAS to one thread and makes sure it uses the CPU's vector units.
// Called once, automatically, by num_threads().
void init_cpu_runtime();
// The OpenBLAS kernel set in use ("SkylakeX", "Haswell", ...).
std::string blas_kernels();
// OpenBLAS's own thread count (1 after init_cpu_runtime).
int blas_threads();

// Calls body(lo, hi) on disjoint chunks that cover [begin, end), in parallel.
// Each chunk holds at least `grain` indices (except the last); the chunking
// depends only on the range and grain. Runs serially inside another parallel
// region or when there is a single chunk.
template <typename Body>
void parallel_for(int64_t begin, int64_t end, int64_t grain, Body&& body) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = (n + grain - 1) / grain;
  if (chunks == 1 || omp_in_parallel()) {
    body(begin, end);
    return;
  }
  const int threads = static_cast<int>(std::min<int64_t>(num_threads(), chunks));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t lo = begin + c * grain;
    body(lo, std::min(end, lo + grain));
  }
}

// Calls body(i) for every i in [0, count) in parallel: one item per index.
template <typename Body>
void parallel_items(int64_t count, Body&& body) {
  parallel_for(0, count, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) body(i);
  });
}

}  // namespace heatmark
