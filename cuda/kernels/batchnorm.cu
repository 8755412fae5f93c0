// batchnorm2d over x (N, C, H, W): training forward (batch statistics and
// the running-statistic update), eval forward, and backward.
//
// Every per-channel reduction is two-phase and deterministic:
//   phase 1  block (chunk j, channel c) reduces values [j*kChunk, (j+1)*kChunk)
//            of channel c's M = N*H*W values into partials[c][j];
//   phase 2  one thread per channel adds its partials in order.
// Training forward reduces sum(x - shift) and sum((x - shift)^2) with the
// shift x[0, c, 0]: in float, subtracting a value close to the mean keeps
// var = E[(x-shift)^2] - E[x-shift]^2 from cancelling catastrophically.
// Running statistics follow PyTorch: momentum 0.1, unbiased variance.
// Backward: gbeta += sum(gy), ggamma += sum(gy * xhat), and
//   training: gx = gamma * invstd / M * (M gy - sum(gy) - xhat * sum(gy xhat))
//   eval:     gx = gamma * invstd * gy
// Gradient convention: gx written (=); ggamma and gbeta accumulate (+=).
#include "cuda/kernels/block_reduce.cuh"

namespace heatmark::HM_BACKEND {

inline constexpr int kBnThreads = 256;
inline constexpr int64_t kBnChunk = 4096;

namespace {
__device__ inline int64_t channel_index(const BatchNormShape& s, int64_t c, int64_t j) {
  return (j / s.HW * s.C + c) * s.HW + j % s.HW;  // value j of channel c: n = j / HW, position j % HW
}
int64_t chunks_of(const BatchNormShape& s) { return (s.per_channel() + kBnChunk - 1) / kBnChunk; }
}  // namespace

// partials[(c * chunks + j) * 2 + {0, 1}] = sums of (a, b) over the chunk, where
// (a, b) = (x - shift, (x - shift)^2) for statistics, or (gy, gy * xhat) for backward.
__global__ void batchnorm_partials_kernel(BatchNormShape s, const float* __restrict__ x, const float* __restrict__ gy,
                                          const float* __restrict__ mean, const float* __restrict__ invstd,
                                          float* __restrict__ partials) {
  const int64_t j0 = int64_t(blockIdx.x) * kBnChunk, c = blockIdx.y, M = s.per_channel();
  const int64_t j1 = j0 + kBnChunk < M ? j0 + kBnChunk : M;
  float a = 0.0f, b = 0.0f;
  if (gy == nullptr) {  // statistics of x
    const float shift = x[channel_index(s, c, 0)];
    for (int64_t j = j0 + threadIdx.x; j < j1; j += kBnThreads) {
      const float d = x[channel_index(s, c, j)] - shift;
      a += d;
      b += d * d;
    }
  } else {  // backward sums
    const float m = mean[c], is = invstd[c];
    for (int64_t j = j0 + threadIdx.x; j < j1; j += kBnThreads) {
      const int64_t i = channel_index(s, c, j);
      a += gy[i];
      b += gy[i] * (x[i] - m) * is;
    }
  }
  a = block_sum<kBnThreads>(a);
  b = block_sum<kBnThreads>(b);
  if (threadIdx.x == 0) {
    partials[(c * gridDim.x + blockIdx.x) * 2] = a;
    partials[(c * gridDim.x + blockIdx.x) * 2 + 1] = b;
  }
}

// One thread per channel: batch mean and invstd from the partials, and the
// running-statistic update.
__global__ void batchnorm_statistics_kernel(BatchNormShape s, const float* __restrict__ x, int64_t chunks,
                                            const float* __restrict__ partials, float momentum, float eps,
                                            float* __restrict__ save_mean, float* __restrict__ save_invstd,
                                            float* __restrict__ running_mean, float* __restrict__ running_var) {
  const int64_t c = global_thread_index();
  if (c >= s.C) return;
  float sum = 0.0f, sum_sq = 0.0f;
  for (int64_t j = 0; j < chunks; ++j) {
    sum += partials[(c * chunks + j) * 2];
    sum_sq += partials[(c * chunks + j) * 2 + 1];
  }
  const float M = static_cast<float>(s.per_channel());
  const float shifted_mean = sum / M;
  float var = sum_sq / M - shifted_mean * shifted_mean;
  var = var > 0.0f ? var : 0.0f;
  const float mean = shifted_mean + x[channel_index(s, c, 0)];
  save_mean[c] = mean;
  save_invstd[c] = rsqrtf(var + eps);
  if (running_mean) {
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
    running_var[c] = (1.0f - momentum) * running_var[c] + momentum * (M > 1.0f ? var * M / (M - 1.0f) : var);
  }
}

// y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c]. With eps >= 0 the
// second array holds variances (eval: invstd = 1/sqrt(var + eps)).
__global__ void batchnorm_apply_kernel(BatchNormShape s, const float* __restrict__ x, const float* __restrict__ mean,
                                       const float* __restrict__ invstd_or_var, float eps,
                                       const float* __restrict__ gamma, const float* __restrict__ beta,
                                       float* __restrict__ y) {
  const int64_t total = s.N * s.C * s.HW;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t c = i / s.HW % s.C;
    const float is = eps >= 0.0f ? rsqrtf(invstd_or_var[c] + eps) : invstd_or_var[c];
    y[i] = (x[i] - mean[c]) * is * gamma[c] + beta[c];
  }
}

// One thread per channel: gbeta += sum(gy), ggamma += sum(gy xhat); keeps the
// two sums in sums[2c], sums[2c + 1] for the gx kernel.
__global__ void batchnorm_gradient_sums_kernel(int64_t C, int64_t chunks, const float* __restrict__ partials,
                                               float* __restrict__ sums, float* __restrict__ ggamma,
                                               float* __restrict__ gbeta) {
  const int64_t c = global_thread_index();
  if (c >= C) return;
  float sum_gy = 0.0f, sum_gy_xhat = 0.0f;
  for (int64_t j = 0; j < chunks; ++j) {
    sum_gy += partials[(c * chunks + j) * 2];
    sum_gy_xhat += partials[(c * chunks + j) * 2 + 1];
  }
  sums[2 * c] = sum_gy;
  sums[2 * c + 1] = sum_gy_xhat;
  gbeta[c] += sum_gy;
  ggamma[c] += sum_gy_xhat;
}

__global__ void batchnorm_input_gradient_kernel(BatchNormShape s, const float* __restrict__ x,
                                                const float* __restrict__ gy, const float* __restrict__ gamma,
                                                const float* __restrict__ mean, const float* __restrict__ invstd,
                                                const float* __restrict__ sums, bool training,
                                                float* __restrict__ gx) {
  const int64_t total = s.N * s.C * s.HW;
  const float M = static_cast<float>(s.per_channel());
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t c = i / s.HW % s.C;
    const float k = gamma[c] * invstd[c];
    if (training) {
      const float xhat = (x[i] - mean[c]) * invstd[c];
      gx[i] = k / M * (M * gy[i] - sums[2 * c] - xhat * sums[2 * c + 1]);
    } else {
      gx[i] = k * gy[i];
    }
  }
}

// invstd[c] = 1 / sqrt(var[c] + eps)
__global__ void batchnorm_invstd_kernel(int64_t C, const float* __restrict__ var, float eps, float* __restrict__ invstd) {
  const int64_t c = global_thread_index();
  if (c < C) invstd[c] = rsqrtf(var[c] + eps);
}

int64_t batchnorm_workspace_floats(const BatchNormShape& s) { return s.C * chunks_of(s) * 2 + 2 * s.C; }

void batchnorm_forward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* beta, float* y,
                             float* save_mean, float* save_invstd, float* running_mean, float* running_var,
                             float momentum, float eps, float* workspace, StreamHandle stream) {
  const auto st = static_cast<cudaStream_t>(stream);
  const int64_t chunks = chunks_of(s);
  const dim3 grid(static_cast<unsigned>(chunks), static_cast<unsigned>(s.C));
  launch(batchnorm_partials_kernel, grid, kBnThreads, 0, st, s, x, static_cast<const float*>(nullptr),
         static_cast<const float*>(nullptr), static_cast<const float*>(nullptr), workspace);
  launch(batchnorm_statistics_kernel, grid_for(s.C), kBlockSize, 0, st, s, x, chunks,
         static_cast<const float*>(workspace), momentum, eps, save_mean, save_invstd, running_mean, running_var);
  launch(batchnorm_apply_kernel, grid_for(s.N * s.C * s.HW), kBlockSize, 0, st, s, x,
         static_cast<const float*>(save_mean), static_cast<const float*>(save_invstd), -1.0f, gamma, beta, y);
}

void batchnorm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                            const float* running_mean, const float* running_var, float eps, float* y,
                            StreamHandle stream) {
  launch(batchnorm_apply_kernel, grid_for(s.N * s.C * s.HW), kBlockSize, 0, static_cast<cudaStream_t>(stream), s,
         x, running_mean, running_var, eps, gamma, beta, y);
}

void batchnorm_invstd(int64_t C, const float* var, float eps, float* invstd, StreamHandle stream) {
  launch(batchnorm_invstd_kernel, grid_for(C), kBlockSize, 0, static_cast<cudaStream_t>(stream), C, var, eps, invstd);
}

void batchnorm_backward(const BatchNormShape& s, const float* x, const float* gamma, const float* mean,
                        const float* invstd, const float* gy, bool training, float* gx, float* ggamma, float* gbeta,
                        float* workspace, StreamHandle stream) {
  const auto st = static_cast<cudaStream_t>(stream);
  const int64_t chunks = chunks_of(s);
  float* partials = workspace;
  float* sums = workspace + s.C * chunks * 2;
  launch(batchnorm_partials_kernel, dim3(static_cast<unsigned>(chunks), static_cast<unsigned>(s.C)), kBnThreads, 0, st,
         s, x, gy, mean, invstd, partials);
  launch(batchnorm_gradient_sums_kernel, grid_for(s.C), kBlockSize, 0, st, s.C, chunks,
         static_cast<const float*>(partials), sums, ggamma, gbeta);
  launch(batchnorm_input_gradient_kernel, grid_for(s.N * s.C * s.HW), kBlockSize, 0, st, s, x, gy, gamma, mean,
         invstd, static_cast<const float*>(sums), training, gx);
}

}  // namespace heatmark::HM_BACKEND
