// Kernel lab: conv2d weight gradient, gw[co, k] += sum_p gy[co, p] x_col[k, p],
// a reduction over all N*OH*OW pixels. Deterministic in every version (no atomics).
//
//   v1 naive            one thread per weight element, the whole reduction from
//                       global memory: few threads (C_out*K), long serial loops.
//   v2 block per weight one block per weight element reduces its pixels with a
//                       block-wide tree: more parallelism, but each gy and x
//                       value is read once per weight that uses it.
//   v3 split-K GEMM     (production, cuda/kernels/conv2d.cu) the 64x64
//                       register-blocked implicit GEMM over (C_out, K) with the
//                       pixel reduction cut into fixed slices; partial tiles go
//                       to a workspace and are added in slice order.
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/conv_index.cuh"
#include "cuda/lab/lab.h"

namespace heatmark::HM_BACKEND::lab {

namespace {
__device__ inline float x_col(const Conv2dShape& s, const float* x, int64_t k, int64_t p) {
  return conv2d_input_column(s, x, k, p);  // the production helper (cuda/kernels/conv_index.cuh)
}

__device__ inline float gy_at(const Conv2dShape& s, const float* gy, int64_t co, int64_t p) {
  const int64_t pixels = s.OH * s.OW;
  return gy[(p / pixels * s.C_out + co) * pixels + p % pixels];
}
}  // namespace

__global__ void conv2d_backward_weight_v1_kernel(Conv2dShape s, const float* x, const float* gy, float* gw) {
  const int64_t K = s.C_in * s.kH * s.kW, P = s.N * s.OH * s.OW;
  for (int64_t i = global_thread_index(); i < s.C_out * K; i += grid_stride()) {
    const int64_t co = i / K, k = i % K;
    float acc = 0.0f;
    for (int64_t p = 0; p < P; ++p) acc += gy_at(s, gy, co, p) * x_col(s, x, k, p);
    gw[i] += acc;
  }
}

inline constexpr int kV2Threads = 256;

__global__ void conv2d_backward_weight_v2_kernel(Conv2dShape s, const float* x, const float* gy, float* gw) {
  const int64_t K = s.C_in * s.kH * s.kW, P = s.N * s.OH * s.OW;
  const int64_t co = blockIdx.x / K, k = blockIdx.x % K;
  float acc = 0.0f;
  for (int64_t p = threadIdx.x; p < P; p += kV2Threads) acc += gy_at(s, gy, co, p) * x_col(s, x, k, p);
  acc = block_sum<kV2Threads>(acc);
  if (threadIdx.x == 0) gw[blockIdx.x] += acc;
}

namespace {
void v1(const Conv2dShape& s, const float* x, const float* gy, float* gw, float*, StreamHandle stream) {
  const int64_t n = s.C_out * s.C_in * s.kH * s.kW;
  launch(conv2d_backward_weight_v1_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, x, gy, gw);
}

void v2(const Conv2dShape& s, const float* x, const float* gy, float* gw, float*, StreamHandle stream) {
  const int64_t n = s.C_out * s.C_in * s.kH * s.kW;
  launch(conv2d_backward_weight_v2_kernel, static_cast<unsigned>(n), kV2Threads, 0, static_cast<cudaStream_t>(stream),
         s, x, gy, gw);
}

void v3(const Conv2dShape& s, const float* x, const float* gy, float* gw, float* workspace, StreamHandle stream) {
  conv2d_backward_weight(s, x, gy, gw, workspace, stream);
}

int64_t v3_workspace(const Conv2dShape& s) { return conv2d_weight_workspace_floats(s); }
}  // namespace

std::vector<::heatmark::lab::Conv2dBackwardWeightVersion> conv2d_backward_weight_versions() {
  return {{1, "naive", "one thread per weight, serial reduction over all pixels", v1, nullptr},
          {2, "block per weight", "one block per weight, block-wide tree reduction", v2, nullptr},
          {3, "split-K implicit GEMM (production)", "register-blocked GEMM tiles, fixed pixel slices added in order", v3,
           v3_workspace}};
}

}  // namespace heatmark::HM_BACKEND::lab
