// Kernel lab: batch_norm2d training forward and backward, x (N, C, H, W).
//
//   v1 thread per channel   one thread walks all N*H*W values of its channel,
//                           twice (statistics, then output): C threads only.
//   v2 block per channel    one block per channel, block-wide reductions, then
//                           the block writes its channel: C blocks, each reading
//                           a strided channel.
//   v3 two-phase chunks     (production, cuda/kernels/batch_norm2d.cu) partial sums
//                           over fixed 4096-value chunks of each channel
//                           (chunks x C blocks), a per-channel finish in order,
//                           then one elementwise pass over the whole tensor.
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/lab/lab.h"

namespace heatmark::HM_BACKEND::lab {

namespace {
__device__ inline int64_t at(const BatchNormShape& s, int64_t c, int64_t j) { return (j / s.HW * s.C + c) * s.HW + j % s.HW; }
}  // namespace

// ---- forward --------------------------------------------------------------------

__global__ void batch_norm2d_forward_v1_kernel(BatchNormShape s, const float* x, const float* gamma, const float* beta,
                                               float* y, float* mean, float* invstd, float eps) {
  const int64_t c = global_thread_index();
  if (c >= s.C) return;
  const int64_t M = s.per_channel();
  float sum = 0.0f;
  for (int64_t j = 0; j < M; ++j) sum += x[at(s, c, j)];
  const float m = sum / static_cast<float>(M);
  float sq = 0.0f;
  for (int64_t j = 0; j < M; ++j) sq += (x[at(s, c, j)] - m) * (x[at(s, c, j)] - m);
  const float is = rsqrtf(sq / static_cast<float>(M) + eps);
  for (int64_t j = 0; j < M; ++j) y[at(s, c, j)] = (x[at(s, c, j)] - m) * is * gamma[c] + beta[c];
  mean[c] = m;
  invstd[c] = is;
}

inline constexpr int kV2Threads = 256;

__global__ void batch_norm2d_forward_v2_kernel(BatchNormShape s, const float* x, const float* gamma, const float* beta,
                                               float* y, float* mean, float* invstd, float eps) {
  const int64_t c = blockIdx.x, M = s.per_channel();
  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < M; j += kV2Threads) sum += x[at(s, c, j)];
  const float m = block_sum<kV2Threads>(sum) / static_cast<float>(M);
  float sq = 0.0f;
  for (int64_t j = threadIdx.x; j < M; j += kV2Threads) sq += (x[at(s, c, j)] - m) * (x[at(s, c, j)] - m);
  const float is = rsqrtf(block_sum<kV2Threads>(sq) / static_cast<float>(M) + eps);
  for (int64_t j = threadIdx.x; j < M; j += kV2Threads) y[at(s, c, j)] = (x[at(s, c, j)] - m) * is * gamma[c] + beta[c];
  if (threadIdx.x == 0) {
    mean[c] = m;
    invstd[c] = is;
  }
}

// ---- backward -------------------------------------------------------------------

__global__ void batch_norm2d_backward_v1_kernel(BatchNormShape s, const float* x, const float* gamma, const float* mean,
                                                const float* invstd, const float* gy, float* gx, float* ggamma,
                                                float* gbeta) {
  const int64_t c = global_thread_index();
  if (c >= s.C) return;
  const int64_t M = s.per_channel();
  float sum_gy = 0.0f, sum_gy_xhat = 0.0f;
  for (int64_t j = 0; j < M; ++j) {
    sum_gy += gy[at(s, c, j)];
    sum_gy_xhat += gy[at(s, c, j)] * (x[at(s, c, j)] - mean[c]) * invstd[c];
  }
  const float k = gamma[c] * invstd[c] / static_cast<float>(M);
  for (int64_t j = 0; j < M; ++j) {
    const float xhat = (x[at(s, c, j)] - mean[c]) * invstd[c];
    gx[at(s, c, j)] = k * (static_cast<float>(M) * gy[at(s, c, j)] - sum_gy - xhat * sum_gy_xhat);
  }
  ggamma[c] += sum_gy_xhat;
  gbeta[c] += sum_gy;
}

__global__ void batch_norm2d_backward_v2_kernel(BatchNormShape s, const float* x, const float* gamma, const float* mean,
                                                const float* invstd, const float* gy, float* gx, float* ggamma,
                                                float* gbeta) {
  const int64_t c = blockIdx.x, M = s.per_channel();
  float a = 0.0f, b = 0.0f;
  for (int64_t j = threadIdx.x; j < M; j += kV2Threads) {
    a += gy[at(s, c, j)];
    b += gy[at(s, c, j)] * (x[at(s, c, j)] - mean[c]) * invstd[c];
  }
  const float sum_gy = block_sum<kV2Threads>(a), sum_gy_xhat = block_sum<kV2Threads>(b);
  const float k = gamma[c] * invstd[c] / static_cast<float>(M);
  for (int64_t j = threadIdx.x; j < M; j += kV2Threads) {
    const float xhat = (x[at(s, c, j)] - mean[c]) * invstd[c];
    gx[at(s, c, j)] = k * (static_cast<float>(M) * gy[at(s, c, j)] - sum_gy - xhat * sum_gy_xhat);
  }
  if (threadIdx.x == 0) {
    ggamma[c] += sum_gy_xhat;
    gbeta[c] += sum_gy;
  }
}

namespace {
void forward_v1(const BatchNormShape& s, const float* x, const float* gamma, const float* beta, float* y, float* mean,
                float* invstd, float eps, float*, StreamHandle stream) {
  launch(batch_norm2d_forward_v1_kernel, grid_for(s.C), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, x, gamma,
         beta, y, mean, invstd, eps);
}
void forward_v2(const BatchNormShape& s, const float* x, const float* gamma, const float* beta, float* y, float* mean,
                float* invstd, float eps, float*, StreamHandle stream) {
  launch(batch_norm2d_forward_v2_kernel, static_cast<unsigned>(s.C), kV2Threads, 0, static_cast<cudaStream_t>(stream), s,
         x, gamma, beta, y, mean, invstd, eps);
}
void forward_v3(const BatchNormShape& s, const float* x, const float* gamma, const float* beta, float* y, float* mean,
                float* invstd, float eps, float* workspace, StreamHandle stream) {
  batch_norm2d_forward_train(s, x, gamma, beta, y, mean, invstd, nullptr, nullptr, 0.1f, eps, workspace, stream);
}
void backward_v1(const BatchNormShape& s, const float* x, const float* gamma, const float* mean, const float* invstd,
                 const float* gy, float* gx, float* ggamma, float* gbeta, float*, StreamHandle stream) {
  launch(batch_norm2d_backward_v1_kernel, grid_for(s.C), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, x, gamma,
         mean, invstd, gy, gx, ggamma, gbeta);
}
void backward_v2(const BatchNormShape& s, const float* x, const float* gamma, const float* mean, const float* invstd,
                 const float* gy, float* gx, float* ggamma, float* gbeta, float*, StreamHandle stream) {
  launch(batch_norm2d_backward_v2_kernel, static_cast<unsigned>(s.C), kV2Threads, 0, static_cast<cudaStream_t>(stream),
         s, x, gamma, mean, invstd, gy, gx, ggamma, gbeta);
}
void backward_v3(const BatchNormShape& s, const float* x, const float* gamma, const float* mean, const float* invstd,
                 const float* gy, float* gx, float* ggamma, float* gbeta, float* workspace, StreamHandle stream) {
  batch_norm2d_backward(s, x, gamma, mean, invstd, gy, true, gx, ggamma, gbeta, workspace, stream);
}
int64_t v3_workspace(const BatchNormShape& s) { return batch_norm2d_workspace_floats(s); }
}  // namespace

std::vector<::heatmark::lab::BatchNormForwardVersion> batch_norm2d_forward_versions() {
  return {{1, "thread per channel", "one thread walks its whole channel, twice", forward_v1, nullptr},
          {2, "block per channel", "block-wide reductions, then the block writes its channel", forward_v2, nullptr},
          {3, "two-phase chunks (production)", "partial sums over fixed chunks, per-channel finish, elementwise pass",
           forward_v3, v3_workspace}};
}

std::vector<::heatmark::lab::BatchNormBackwardVersion> batch_norm2d_backward_versions() {
  return {{1, "thread per channel", "one thread per channel: sums, then gx", backward_v1, nullptr},
          {2, "block per channel", "block-wide sums, then the block writes gx", backward_v2, nullptr},
          {3, "two-phase chunks (production)", "partial sums over fixed chunks, per-channel finish, elementwise gx",
           backward_v3, v3_workspace}};
}

}  // namespace heatmark::HM_BACKEND::lab
