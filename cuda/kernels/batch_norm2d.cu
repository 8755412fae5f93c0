// batch_norm2d over x (N, C, H, W): training forward (batch statistics and
// the running-statistic update), eval forward, and backward.
//
// Every per-channel reduction is two-phase and deterministic:
//   phase 1  block (chunk j, channel c) reduces values [j*kChunk, (j+1)*kChunk)
//            of channel c's M = N*H*W values into partials[j][c];
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

inline constexpr int64_t kBnChunk = 4096;

namespace {
// Value j of channel c, j in [0, N*H*W): image n = j / HW, pixel p = j % HW.
__device__ inline int64_t channel_index(const BatchNormShape& s, int64_t c, int64_t j) {
  const int64_t n = j / s.HW, p = j % s.HW;
  return (n * s.C + c) * s.HW + p;
}
int64_t chunks_of(const BatchNormShape& s) { return (s.per_channel() + kBnChunk - 1) / kBnChunk; }

// The partials table: two planes (the two sums), each chunks x C with the
// channels contiguous, so that the per-channel finish, one thread per
// channel, reads consecutive words across a warp (coalesced; a channel-major
// table made its loads 12 % efficient).
__device__ inline int64_t partial_slot(int64_t sum, int64_t chunks, int64_t C, int64_t j, int64_t c) {
  return (sum * chunks + j) * C + c;
}

// Block (chunk j, channel c) writes its two sums to the partials table.
__device__ inline void store_partials(float a, float b, float* __restrict__ partials) {
  const int64_t j = blockIdx.x, c = blockIdx.y, chunks = gridDim.x, C = gridDim.y;
  if (threadIdx.x == 0) {
    partials[partial_slot(0, chunks, C, j, c)] = a;
    partials[partial_slot(1, chunks, C, j, c)] = b;
  }
}
}  // namespace

// Phase 1 of the statistics: the partials of chunk j of channel c are the sums
// of (x - shift) and (x - shift)^2 over that chunk.
__global__ void batch_norm2d_statistics_partials_kernel(BatchNormShape s, const float* __restrict__ x,
                                                        float* __restrict__ partials) {
  const int64_t c = blockIdx.y, M = s.per_channel();
  const int64_t j0 = int64_t(blockIdx.x) * kBnChunk, j1 = j0 + kBnChunk < M ? j0 + kBnChunk : M;
  const float shift = x[channel_index(s, c, 0)];
  float a = 0.0f, b = 0.0f;
  for (int64_t j = j0 + threadIdx.x; j < j1; j += kBlockSize) {
    const float d = x[channel_index(s, c, j)] - shift;
    a += d;
    b += d * d;
  }
  a = block_sum(a);
  b = block_sum(b);
  store_partials(a, b, partials);
}

// Phase 1 of the backward: the same table holds the sums of gy and of gy * xhat.
__global__ void batch_norm2d_gradient_partials_kernel(BatchNormShape s, const float* __restrict__ x,
                                                      const float* __restrict__ gy, const float* __restrict__ mean,
                                                      const float* __restrict__ invstd, float* __restrict__ partials) {
  const int64_t c = blockIdx.y, M = s.per_channel();
  const int64_t j0 = int64_t(blockIdx.x) * kBnChunk, j1 = j0 + kBnChunk < M ? j0 + kBnChunk : M;
  const float m = mean[c], is = invstd[c];
  float a = 0.0f, b = 0.0f;
  for (int64_t j = j0 + threadIdx.x; j < j1; j += kBlockSize) {
    const int64_t i = channel_index(s, c, j);
    a += gy[i];
    b += gy[i] * (x[i] - m) * is;
  }
  a = block_sum(a);
  b = block_sum(b);
  store_partials(a, b, partials);
}

// One thread per channel: batch mean and invstd from the partials, and the
// running-statistic update.
__global__ void batch_norm2d_statistics_kernel(BatchNormShape s, const float* __restrict__ x, int64_t chunks,
                                               const float* __restrict__ partials, float momentum, float eps,
                                               float* __restrict__ save_mean, float* __restrict__ save_invstd,
                                               float* __restrict__ running_mean, float* __restrict__ running_var) {
  const int64_t c = global_thread_index();
  if (c >= s.C) return;
  float sum = 0.0f, sum_sq = 0.0f;
  for (int64_t j = 0; j < chunks; ++j) {
    sum += partials[partial_slot(0, chunks, s.C, j, c)];
    sum_sq += partials[partial_slot(1, chunks, s.C, j, c)];
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

// Training: y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c], with the batch statistics.
__global__ void batch_norm2d_normalize_kernel(BatchNormShape s, const float* __restrict__ x,
                                              const float* __restrict__ mean, const float* __restrict__ invstd,
                                              const float* __restrict__ gamma, const float* __restrict__ beta,
                                              float* __restrict__ y) {
  const int64_t total = s.N * s.C * s.HW;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t c = i / s.HW % s.C;
    y[i] = (x[i] - mean[c]) * invstd[c] * gamma[c] + beta[c];
  }
}

// Eval: the same with the running statistics, invstd = 1 / sqrt(var + eps).
__global__ void batch_norm2d_normalize_eval_kernel(BatchNormShape s, const float* __restrict__ x,
                                                   const float* __restrict__ running_mean,
                                                   const float* __restrict__ running_var, float eps,
                                                   const float* __restrict__ gamma, const float* __restrict__ beta,
                                                   float* __restrict__ y) {
  const int64_t total = s.N * s.C * s.HW;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t c = i / s.HW % s.C;
    y[i] = (x[i] - running_mean[c]) * rsqrtf(running_var[c] + eps) * gamma[c] + beta[c];
  }
}

// One thread per channel: gbeta += sum(gy), ggamma += sum(gy xhat); keeps the
// two sums in sums[2c], sums[2c + 1] for the gx kernel.
__global__ void batch_norm2d_gradient_sums_kernel(int64_t C, int64_t chunks, const float* __restrict__ partials,
                                                  float* __restrict__ sums, float* __restrict__ ggamma,
                                                  float* __restrict__ gbeta) {
  const int64_t c = global_thread_index();
  if (c >= C) return;
  float sum_gy = 0.0f, sum_gy_xhat = 0.0f;
  for (int64_t j = 0; j < chunks; ++j) {
    sum_gy += partials[partial_slot(0, chunks, C, j, c)];
    sum_gy_xhat += partials[partial_slot(1, chunks, C, j, c)];
  }
  sums[2 * c] = sum_gy;
  sums[2 * c + 1] = sum_gy_xhat;
  gbeta[c] += sum_gy;
  ggamma[c] += sum_gy_xhat;
}

__global__ void batch_norm2d_input_gradient_kernel(BatchNormShape s, const float* __restrict__ x,
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
__global__ void batch_norm2d_invstd_kernel(int64_t C, const float* __restrict__ var, float eps,
                                           float* __restrict__ invstd) {
  const int64_t c = global_thread_index();
  if (c < C) invstd[c] = rsqrtf(var[c] + eps);
}

int64_t batch_norm2d_workspace_floats(const BatchNormShape& s) { return s.C * chunks_of(s) * 2 + 2 * s.C; }

void batch_norm2d_forward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                                float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var,
                                float momentum, float eps, float* workspace, StreamHandle stream) {
  const auto st = static_cast<cudaStream_t>(stream);
  const int64_t chunks = chunks_of(s);
  const dim3 grid(static_cast<unsigned>(chunks), static_cast<unsigned>(s.C));
  launch(batch_norm2d_statistics_partials_kernel, grid, kBlockSize, 0, st, s, x, workspace);
  launch(batch_norm2d_statistics_kernel, grid_for(s.C), kBlockSize, 0, st, s, x, chunks,
         static_cast<const float*>(workspace), momentum, eps, save_mean, save_invstd, running_mean, running_var);
  launch(batch_norm2d_normalize_kernel, grid_for(s.N * s.C * s.HW), kBlockSize, 0, st, s, x,
         static_cast<const float*>(save_mean), static_cast<const float*>(save_invstd), gamma, beta, y);
}

void batch_norm2d_forward_eval(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                               const float* running_mean, const float* running_var, float eps, float* y,
                               StreamHandle stream) {
  launch(batch_norm2d_normalize_eval_kernel, grid_for(s.N * s.C * s.HW), kBlockSize, 0,
         static_cast<cudaStream_t>(stream), s, x, running_mean, running_var, eps, gamma, beta, y);
}

void batch_norm2d_invstd(int64_t C, const float* var, float eps, float* invstd, StreamHandle stream) {
  launch(batch_norm2d_invstd_kernel, grid_for(C), kBlockSize, 0, static_cast<cudaStream_t>(stream), C, var, eps,
         invstd);
}

void batch_norm2d_backward(const BatchNormShape& s, const float* x, const float* gamma, const float* mean,
                           const float* invstd, const float* gy, bool training, float* gx, float* ggamma, float* gbeta,
                           float* workspace, StreamHandle stream) {
  const auto st = static_cast<cudaStream_t>(stream);
  const int64_t chunks = chunks_of(s);
  float* partials = workspace;
  float* sums = workspace + s.C * chunks * 2;
  launch(batch_norm2d_gradient_partials_kernel, dim3(static_cast<unsigned>(chunks), static_cast<unsigned>(s.C)),
         kBlockSize, 0, st, s, x, gy, mean, invstd, partials);
  launch(batch_norm2d_gradient_sums_kernel, grid_for(s.C), kBlockSize, 0, st, s.C, chunks,
         static_cast<const float*>(partials), sums, ggamma, gbeta);
  launch(batch_norm2d_input_gradient_kernel, grid_for(s.N * s.C * s.HW), kBlockSize, 0, st, s, x, gy, gamma, mean,
         invstd, static_cast<const float*>(sums), training, gx);
}

}  // namespace heatmark::HM_BACKEND
