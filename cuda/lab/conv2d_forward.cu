// Kernel lab: conv2d forward (implicit GEMM: y[co, p] = sum_k w[co, k] x_col[k, p]).
//
//   v1 naive            one thread per output, the whole K-long dot product
//                       from global memory: every input read ~C_out times.
//   v2 tiled            16x16 output tiles; per step of 16 along K the block
//                       stages a 16x16 tile of w and of x_col in shared memory,
//                       so each global read feeds 16 multiply-adds.
//   v3 register-blocked (production, cuda/kernels/conv2d.cu) 64x64 tiles (32x64 for at most 32 output channels),
//                       each thread accumulates a 4x4 sub-tile in registers:
//                       16 multiply-adds per 8 shared-memory reads.
#include "cuda/kernel_api.h"
#include "cuda/kernels/conv_index.cuh"
#include "cuda/lab/lab.h"

namespace heatmark::HM_BACKEND::lab {

namespace {
// x_col[k, p]: the input under tap k = (ci, kh, kw) of output pixel p = (n, oh, ow), 0 in the padding.
__device__ inline float x_col(const Conv2dShape& s, const float* x, int64_t k, int64_t p) {
  return conv2d_input_column(s, x, k, p);  // the production helper (cuda/kernels/conv_index.cuh)
}

__device__ inline void store(const Conv2dShape& s, float* y, int64_t co, int64_t p, float v) {
  const int64_t pixels = s.OH * s.OW;
  y[(p / pixels * s.C_out + co) * pixels + p % pixels] = v;
}
}  // namespace

__global__ void conv2d_forward_v1_kernel(Conv2dShape s, const float* x, const float* w, float* y) {
  const int64_t P = s.N * s.OH * s.OW, K = s.C_in * s.kH * s.kW, total = s.C_out * P;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const int64_t co = i / P, p = i % P;
    float acc = 0.0f;
    for (int64_t k = 0; k < K; ++k) acc += w[co * K + k] * x_col(s, x, k, p);
    store(s, y, co, p, acc);
  }
}

inline constexpr int kTile = 16;

__global__ void conv2d_forward_v2_kernel(Conv2dShape s, const float* x, const float* w, float* y) {
  __shared__ float w_tile[kTile][kTile + 1];
  __shared__ float x_tile[kTile][kTile + 1];
  const int64_t P = s.N * s.OH * s.OW, K = s.C_in * s.kH * s.kW;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t co = int64_t(blockIdx.y) * kTile + ty, p = int64_t(blockIdx.x) * kTile + tx;
  float acc = 0.0f;
  for (int64_t k0 = 0; k0 < K; k0 += kTile) {
    w_tile[ty][tx] = co < s.C_out && k0 + tx < K ? w[co * K + k0 + tx] : 0.0f;
    const int64_t k = k0 + ty;
    x_tile[ty][tx] = k < K && p < P ? x_col(s, x, k, p) : 0.0f;
    __syncthreads();
    for (int kk = 0; kk < kTile; ++kk) acc += w_tile[ty][kk] * x_tile[kk][tx];
    __syncthreads();
  }
  if (co < s.C_out && p < P) store(s, y, co, p, acc);
}

namespace {
void v1(const Conv2dShape& s, const float* x, const float* w, float* y, StreamHandle stream) {
  const int64_t n = s.C_out * s.N * s.OH * s.OW;
  launch(conv2d_forward_v1_kernel, grid_for(n, kBlockSize, 1 << 16), kBlockSize, 0, static_cast<cudaStream_t>(stream),
         s, x, w, y);
}

void v2(const Conv2dShape& s, const float* x, const float* w, float* y, StreamHandle stream) {
  const int64_t P = s.N * s.OH * s.OW;
  const dim3 grid(static_cast<unsigned>((P + kTile - 1) / kTile), static_cast<unsigned>((s.C_out + kTile - 1) / kTile));
  launch(conv2d_forward_v2_kernel, grid, dim3(kTile, kTile), 0, static_cast<cudaStream_t>(stream), s, x, w, y);
}

void v3(const Conv2dShape& s, const float* x, const float* w, float* y, StreamHandle stream) {
  conv2d_forward(s, x, w, nullptr, y, stream);
}
}  // namespace

std::vector<::heatmark::lab::Conv2dForwardVersion> conv2d_forward_versions() {
  return {{1, "naive", "one thread per output, dot product from global memory", v1, nullptr},
          {2, "tiled 16x16", "shared-memory tiles of w and x_col, one output per thread", v2, nullptr},
          {3, "register-blocked 64x64 (production)", "4x4 outputs per thread from shared-memory tiles", v3, nullptr}};
}

}  // namespace heatmark::HM_BACKEND::lab
