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

#include "base/op_shapes.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;  // AdamW
};

// The bias corrections c1, c2 of Adam: bias_correction() in base/op_shapes.h.

struct SgdOptions {
  double lr = 1e-2, momentum = 0.9, weight_decay = 0;
  bool first_step = true;  // the momentum buffer starts as the gradient
};

// c1, c2: bias_correction(beta1, t) and bias_correction(beta2, t).
// The arithmetic runs in T (float for training, double for the reference
// tests) with the per-step constants folded once, so the float loop
// vectorises: it is memory-bound, 7 floats moved per parameter.
template <typename T>
void adam_update_range(const AdamOptions& o, double c1, double c2, double grad_scale, T* p, const T* g, T* m, T* v,
                       int64_t n) {
  const T b1 = static_cast<T>(o.beta1), b2 = static_cast<T>(o.beta2);
  const T one_minus_b1 = static_cast<T>(1 - o.beta1), one_minus_b2 = static_cast<T>(1 - o.beta2);
  const T step_size = static_cast<T>(o.lr / c1), inv_sqrt_c2 = static_cast<T>(1 / std::sqrt(c2));
  const T eps = static_cast<T>(o.eps), scale = static_cast<T>(grad_scale);
  const T decay = static_cast<T>(o.decoupled ? 1 - o.lr * o.weight_decay : 1);
  const T l2 = static_cast<T>(o.decoupled ? 0 : o.weight_decay);
  for (int64_t i = 0; i < n; ++i) {
    const T grad = scale * g[i] + l2 * p[i];
    const T mi = b1 * m[i] + one_minus_b1 * grad;
    const T vi = b2 * v[i] + one_minus_b2 * grad * grad;
    m[i] = mi;
    v[i] = vi;
    p[i] = decay * p[i] - step_size * mi / (std::sqrt(vi) * inv_sqrt_c2 + eps);
  }
}

template <typename T>
void adam_update(const AdamOptions& o, double c1, double c2, double grad_scale, T* p, const T* g, T* m, T* v,
                 int64_t n) {
  parallel_for(0, n, 1 << 14, [&](int64_t lo, int64_t hi) {
    adam_update_range(o, c1, c2, grad_scale, p + lo, g + lo, m + lo, v + lo, hi - lo);
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

// sum(g^2) of one block, in double, over 8 independent lanes: one running
// sum would make every add wait for the previous one.
template <typename T>
double squared_norm_block(const T* g, int64_t n) {
  double lanes[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lanes[l] += static_cast<double>(g[i + l]) * g[i + l];
  double s = 0;
  for (double lane : lanes) s += lane;
  for (; i < n; ++i) s += static_cast<double>(g[i]) * g[i];
  return s;
}

// sum(g^2), in fixed 4096-element blocks added in order (deterministic).
template <typename T>
double squared_norm(const T* g, int64_t n) {
  const int64_t blocks = (n + 4095) / 4096;
  std::vector<double> partial(blocks);
  parallel_items(blocks, [&](int64_t b) {
    partial[b] = squared_norm_block(g + b * 4096, std::min<int64_t>(4096, n - b * 4096));
  });
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

// ---- over a multi-tensor chunk table (base/op_shapes.h), in float ------------
// One parallel loop over the chunks of all parameters, as the GPU kernels do:
// most tensors are too small to split across threads alone. optimizers.cpp.

// Adam (or AdamW) on every chunk's parameter, gradient and two moments.
void adam_step_chunks(const AdamOptions& o, double c1, double c2, double grad_scale,
                      const std::vector<ParamChunk>& chunks);

struct GradientNorm {
  double norm = 0;   // sqrt(sum g^2) over every chunk
  double scale = 1;  // min(1, max_norm / (norm + 1e-6)), or 1 when max_norm <= 0
};
// Partial sums per chunk, added in chunk order: deterministic for any thread count.
GradientNorm gradient_norm_chunks(const std::vector<ParamChunk>& chunks, float max_norm);

}  // namespace heatmark::cpu
