// CPU reference kernels: sum and mean over all elements.
//
// Deterministic: the input is cut into fixed 4096-element blocks whose
// partial sums (in double) are added in block order, so the result does not
// depend on the number of threads.
// Backward: gx[i] = gy (sum) or gy / n (mean), a fill.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/parallel.h"

namespace heatmark::cpu {

inline constexpr int64_t kReduceBlock = 4096;

template <typename T>
double sum_all(const T* x, int64_t n) {
  const int64_t blocks = (n + kReduceBlock - 1) / kReduceBlock;
  std::vector<double> partial(blocks, 0.0);
  parallel_items(blocks, [&](int64_t b) {
    const int64_t lo = b * kReduceBlock, hi = std::min(n, lo + kReduceBlock);
    double s = 0;
    for (int64_t i = lo; i < hi; ++i) s += static_cast<double>(x[i]);
    partial[b] = s;
  });
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

template <typename T>
double mean_all(const T* x, int64_t n) {
  return n == 0 ? 0.0 : sum_all(x, n) / static_cast<double>(n);
}

// gsum[c] += sum over n and p of g[n, c, p] for g (N, C, P), in double per
// channel: bias gradients.
template <typename T>
void channel_sum_accumulate(const T* g, int64_t N, int64_t C, int64_t P, T* gsum) {
  parallel_items(C, [&](int64_t c) {
    double acc = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t p = 0; p < P; ++p) acc += g[(n * C + c) * P + p];
    gsum[c] += static_cast<T>(acc);
  });
}

}  // namespace heatmark::cpu
