// CPU reference kernels: 2-D batch normalisation over x (N, C, H, W).
//
// Training:  mean_c, var_c = batch statistics of channel c over N*H*W values
//            (biased variance), y = gamma * (x - mean) * invstd + beta,
//            invstd = 1 / sqrt(var + eps).
//            Running statistics follow PyTorch: r = (1 - momentum) * r + momentum * stat,
//            with the *unbiased* variance var * M / (M - 1), M = N*H*W.
// Eval:      the same affine map with the running statistics.
//
// Buffers: x, y, gx (N, C, H, W); gamma, beta, running_mean, running_var,
// save_mean, save_invstd, ggamma, gbeta (C).
// Gradient convention: gx is written (=); ggamma and gbeta accumulate (+=).
// Statistics and reductions are computed per channel in double, one channel
// per work item: deterministic for any thread count.
#pragma once

#include <cmath>

#include "base/op_shapes.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

namespace detail {
// Calls f(value_index) for every element of channel c.
template <typename F>
void for_channel(const BatchNormShape& s, int64_t c, F&& f) {
  for (int64_t n = 0; n < s.N; ++n) {
    const int64_t base = (n * s.C + c) * s.HW;
    for (int64_t i = 0; i < s.HW; ++i) f(base + i);
  }
}
}  // namespace detail

template <typename T>
void batch_norm2d_forward_train(const BatchNormShape& s, const T* x, const T* gamma, const T* beta, T* y,
                                T* save_mean, T* save_invstd, T* running_mean, T* running_var, double momentum,
                                double eps) {
  const double M = static_cast<double>(s.per_channel());
  parallel_items(s.C, [&](int64_t c) {
    double sum = 0;
    detail::for_channel(s, c, [&](int64_t i) { sum += x[i]; });
    const double mean = sum / M;
    double sq = 0;
    detail::for_channel(s, c, [&](int64_t i) { sq += (x[i] - mean) * (x[i] - mean); });
    const double var = sq / M;
    const double invstd = 1.0 / std::sqrt(var + eps);
    const double g = gamma[c], b = beta[c];
    detail::for_channel(s, c, [&](int64_t i) { y[i] = static_cast<T>((x[i] - mean) * invstd * g + b); });
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);
    if (running_mean && running_var) {
      const double unbiased = M > 1 ? var * M / (M - 1) : var;
      running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
      running_var[c] = static_cast<T>((1 - momentum) * running_var[c] + momentum * unbiased);
    }
  });
}

template <typename T>
void batch_norm2d_forward_eval(const BatchNormShape& s, const T* x, const T* gamma, const T* beta,
                               const T* running_mean, const T* running_var, double eps, T* y) {
  parallel_items(s.C, [&](int64_t c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
    const double mean = running_mean[c], g = gamma[c], b = beta[c];
    detail::for_channel(s, c, [&](int64_t i) { y[i] = static_cast<T>((x[i] - mean) * invstd * g + b); });
  });
}

// With xhat = (x - mean) * invstd and M = N*H*W per channel:
//   gbeta  += sum(gy)
//   ggamma += sum(gy * xhat)
//   gx      = gamma * invstd / M * (M * gy - sum(gy) - xhat * sum(gy * xhat))
template <typename T>
void batch_norm2d_backward_train(const BatchNormShape& s, const T* x, const T* gamma, const T* save_mean,
                                 const T* save_invstd, const T* gy, T* gx, T* ggamma, T* gbeta) {
  const double M = static_cast<double>(s.per_channel());
  parallel_items(s.C, [&](int64_t c) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sum_gy = 0, sum_gy_xhat = 0;
    detail::for_channel(s, c, [&](int64_t i) {
      sum_gy += gy[i];
      sum_gy_xhat += gy[i] * (x[i] - mean) * invstd;
    });
    const double k = gamma[c] * invstd / M;
    detail::for_channel(s, c, [&](int64_t i) {
      const double xhat = (x[i] - mean) * invstd;
      gx[i] = static_cast<T>(k * (M * gy[i] - sum_gy - xhat * sum_gy_xhat));
    });
    ggamma[c] += static_cast<T>(sum_gy_xhat);
    gbeta[c] += static_cast<T>(sum_gy);
  });
}

// Eval mode: the statistics are constants, so gx = gy * gamma * invstd.
template <typename T>
void batch_norm2d_backward_eval(const BatchNormShape& s, const T* x, const T* gamma, const T* running_mean,
                                const T* running_var, double eps, const T* gy, T* gx, T* ggamma, T* gbeta) {
  parallel_items(s.C, [&](int64_t c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
    const double mean = running_mean[c];
    double sum_gy = 0, sum_gy_xhat = 0;
    detail::for_channel(s, c, [&](int64_t i) {
      sum_gy += gy[i];
      sum_gy_xhat += gy[i] * (x[i] - mean) * invstd;
      gx[i] = static_cast<T>(gy[i] * gamma[c] * invstd);
    });
    ggamma[c] += static_cast<T>(sum_gy_xhat);
    gbeta[c] += static_cast<T>(sum_gy);
  });
}

// The float CPU path (batch_norm2d_float.cpp): the same contracts, with the
// sums vectorised in float lanes flushed into double in a fixed order. The
// backward of eval mode keeps the template above.
void batch_norm2d_forward_train_float(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                                      float* y, float* save_mean, float* save_invstd, float* running_mean,
                                      float* running_var, double momentum, double eps);
void batch_norm2d_forward_eval_float(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                                     const float* running_mean, const float* running_var, double eps, float* y);
void batch_norm2d_backward_train_float(const BatchNormShape& s, const float* x, const float* gamma,
                                       const float* save_mean, const float* save_invstd, const float* gy, float* gx,
                                       float* ggamma, float* gbeta);

}  // namespace heatmark::cpu
