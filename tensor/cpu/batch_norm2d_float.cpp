// The float CPU batch norm: the sums of batch_norm2d.h, vectorised.
//
// The reference adds every element into one double, a chain of dependent
// additions the compiler may not reorder: about four cycles per element. Here
// each channel's sums run in 8 float lanes (lane j takes elements j, j+8, ...
// of a row), flushed into double every kFlush elements and added in a fixed
// order, so results stay bitwise identical for any thread count and close to
// the double reference. The elementwise passes are one multiply-add per
// element with per-channel constants.
#include <algorithm>
#include <cmath>

#include "tensor/cpu/batch_norm2d.h"

namespace heatmark::cpu {

namespace {

constexpr int kLanes = 8;
constexpr int64_t kFlush = 512;  // elements per lane-sum flush into double

// sum over the channel of f(i), i the element index; f returns float.
template <typename F>
double channel_sum(const BatchNormShape& s, int64_t c, F&& f) {
  double total = 0;
  for (int64_t n = 0; n < s.N; ++n) {
    const int64_t base = (n * s.C + c) * s.HW;
    for (int64_t b0 = 0; b0 < s.HW; b0 += kFlush) {
      const int64_t b1 = std::min(s.HW, b0 + kFlush);
      float lane[kLanes] = {};
      int64_t i = b0;
      for (; i + kLanes <= b1; i += kLanes)
        for (int j = 0; j < kLanes; ++j) lane[j] += f(base + i + j);
      float tail = 0;
      for (; i < b1; ++i) tail += f(base + i);
      total += ((static_cast<double>(lane[0]) + lane[4]) + (static_cast<double>(lane[2]) + lane[6])) +
               ((static_cast<double>(lane[1]) + lane[5]) + (static_cast<double>(lane[3]) + lane[7])) + tail;
    }
  }
  return total;
}

// y[i] = a * x[i] + b over the channel.
void channel_affine(const BatchNormShape& s, int64_t c, const float* x, float a, float b, float* y) {
  for (int64_t n = 0; n < s.N; ++n) {
    const int64_t base = (n * s.C + c) * s.HW;
    const float* xs = x + base;
    float* ys = y + base;
    for (int64_t i = 0; i < s.HW; ++i) ys[i] = a * xs[i] + b;
  }
}

}  // namespace

void batch_norm2d_forward_train_float(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                                      float* y, float* save_mean, float* save_invstd, float* running_mean,
                                      float* running_var, double momentum, double eps) {
  const double M = static_cast<double>(s.per_channel());
  parallel_items(s.C, [&](int64_t c) {
    const double mean = channel_sum(s, c, [&](int64_t i) { return x[i]; }) / M;
    const float mean_f = static_cast<float>(mean);
    const double var = channel_sum(s, c, [&](int64_t i) {
                         const float d = x[i] - mean_f;
                         return d * d;
                       }) / M;
    const double invstd = 1.0 / std::sqrt(var + eps);
    const double scale = invstd * gamma[c];
    channel_affine(s, c, x, static_cast<float>(scale), static_cast<float>(beta[c] - mean * scale), y);
    save_mean[c] = mean_f;
    save_invstd[c] = static_cast<float>(invstd);
    if (running_mean && running_var) {
      const double unbiased = M > 1 ? var * M / (M - 1) : var;
      running_mean[c] = static_cast<float>((1 - momentum) * running_mean[c] + momentum * mean);
      running_var[c] = static_cast<float>((1 - momentum) * running_var[c] + momentum * unbiased);
    }
  });
}

void batch_norm2d_forward_eval_float(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                                     const float* running_mean, const float* running_var, double eps, float* y) {
  parallel_items(s.C, [&](int64_t c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
    const double scale = invstd * gamma[c];
    channel_affine(s, c, x, static_cast<float>(scale), static_cast<float>(beta[c] - running_mean[c] * scale), y);
  });
}

// gx = k (M gy - sum(gy) - xhat sum(gy xhat)), k = gamma invstd / M, written
// as gx = a gy + b x + c with per-channel constants.
void batch_norm2d_backward_train_float(const BatchNormShape& s, const float* x, const float* gamma,
                                       const float* save_mean, const float* save_invstd, const float* gy, float* gx,
                                       float* ggamma, float* gbeta) {
  const double M = static_cast<double>(s.per_channel());
  parallel_items(s.C, [&](int64_t c) {
    const float mean = save_mean[c];
    const double invstd = save_invstd[c];
    const double sum_gy = channel_sum(s, c, [&](int64_t i) { return gy[i]; });
    const double sum_gy_xhat = invstd * channel_sum(s, c, [&](int64_t i) { return gy[i] * (x[i] - mean); });
    const double k = gamma[c] * invstd / M;
    const auto a = static_cast<float>(k * M), b = static_cast<float>(-k * sum_gy_xhat * invstd);
    const auto d = static_cast<float>(-k * sum_gy + k * sum_gy_xhat * invstd * mean);
    for (int64_t n = 0; n < s.N; ++n) {
      const int64_t base = (n * s.C + c) * s.HW;
      for (int64_t i = base; i < base + s.HW; ++i) gx[i] = a * gy[i] + b * x[i] + d;
    }
    ggamma[c] += static_cast<float>(sum_gy_xhat);
    gbeta[c] += static_cast<float>(sum_gy);
  });
}

}  // namespace heatmark::cpu
