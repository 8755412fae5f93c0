// The CPU thread pool: OpenMP, used by every CPU kernel.
//
// There is exactly one pool: the kernels split their work into independent
// items and run single-threaded micro-kernels inside parallel_for. (A library
// with its own pool on top of ours oversubscribes the cores: measured 1.5-2.5x
// slower with OpenBLAS.)
//
// Every output is computed by one item in an order fixed by the shapes, so
// results are bitwise identical whatever the number of threads. A sum that
// spans items is split by the data (fixed item sizes), never by the thread
// count; items that only divide independent outputs may follow it.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace heatmark {

// Number of threads the CPU backend uses (default: OMP_NUM_THREADS or all cores).
int num_threads();
void set_num_threads(int threads);
// Checks the CPU kernel choice (HEATMARK_CPU_KERNELS) once, so a bad value is
// a one-line error at start-up. Called automatically by num_threads().
void init_cpu_runtime();
// The micro-kernel variant of the CPU convolutions: "avx512", "avx2" or
// "portable" (tensor/cpu/tile_kernels.h).
std::string cpu_kernels();

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
