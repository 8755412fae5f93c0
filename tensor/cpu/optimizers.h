// CPU reference kernels: optimizer updates for one parameter tensor, and the
// squared gradient norm used by global-norm clipping.
//
// Every update first multiplies the gradient by `grad_scale` (1, or the
// clipping factor min(1, max_norm / (norm + 1e-6))).
//
// Adam / AdamW (bias-corrected, step t >= 1):
//   g' = scale g (+ wd p for Adam's L2 form)
//   m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
//   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//   AdamW instead decays the weights directly first: p -= lr wd p.
// SGD with momentum mu (PyTorch's form: the first step sets buf = g'):
//   g' = scale g + wd p;  buf = mu buf + g';  p -= lr buf
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tensor/parallel.h"

namespace heatmark::cpu {

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;  // AdamW
};

// 1 - beta^t: the bias correction of a moment after step t (t >= 1).
inline double bias_correction(double beta, int64_t step) { return 1 - std::pow(beta, static_cast<double>(step)); }

struct SgdOptions {
  double lr = 1e-2, momentum = 0.9, weight_decay = 0;
  bool first_step = true;  // the momentum buffer starts as the gradient
};

// c1, c2: bias_correction(beta1, t) and bias_correction(beta2, t).
template <typename T>
void adam_update(const AdamOptions& o, double c1, double c2, double grad_scale, T* p, const T* g, T* m, T* v,
                 int64_t n) {
  parallel_for(0, n, 1 << 14, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      double param = p[i];
      double grad = grad_scale * g[i];
      if (o.decoupled)
        param -= o.lr * o.weight_decay * param;
      else
        grad += o.weight_decay * param;
      const double mi = o.beta1 * m[i] + (1 - o.beta1) * grad;
      const double vi = o.beta2 * v[i] + (1 - o.beta2) * grad * grad;
      param -= o.lr * (mi / c1) / (std::sqrt(vi / c2) + o.eps);
      m[i] = static_cast<T>(mi);
      v[i] = static_cast<T>(vi);
      p[i] = static_cast<T>(param);
    }
  });
}

template <typename T>
void sgd_update(const SgdOptions& o, double grad_scale, T* p, const T* g, T* buf, int64_t n) {
  parallel_for(0, n, 1 << 14, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const double grad = grad_scale * g[i] + o.weight_decay * p[i];
      const double b = o.first_step ? grad : o.momentum * buf[i] + grad;
      buf[i] = static_cast<T>(b);
      p[i] = static_cast<T>(p[i] - o.lr * b);
    }
  });
}

// sum(g^2), in fixed 4096-element blocks added in order (deterministic).
template <typename T>
double squared_norm(const T* g, int64_t n) {
  const int64_t blocks = (n + 4095) / 4096;
  std::vector<double> partial(blocks);
  parallel_items(blocks, [&](int64_t b) {
    double s = 0;
    for (int64_t i = b * 4096; i < std::min(n, (b + 1) * 4096); ++i) s += static_cast<double>(g[i]) * g[i];
    partial[b] = s;
  });
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace heatmark::cpu
