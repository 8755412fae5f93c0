// conv2d: forward, backward-data, backward-weight and bias gradient, as three
// implicit GEMMs on one engine (implicit_gemm.cuh). Shapes: x (N, C_in, H, W),
// w (C_out, C_in, kH, kW), b (C_out), y (N, C_out, OH, OW); K = C_in*kH*kW.
//
//   forward         y[co, p]  = sum_k  w[co, k] * xcol[k, p]            p = (n, oh, ow)
//   backward data   gx[ci, q] = sum_k' w[co, ci, kh, kw] * gycol[k', q] q = (n, ih, iw), k' = (co, kh, kw)
//   backward weight gw[co, k] += sum_p gy[co, p] * xcol[k, p]
//
// xcol[k, p] is the input pixel under tap k = (ci, kh, kw) of output pixel p
// (0 in the padding), read straight from x: no im2col buffer. The data
// gradient is a gather (each gx element sums the taps that read it), so no
// atomics; the weight gradient reduces over N*OH*OW pixels in fixed split-K
// slices, written to a workspace and added in order by a second kernel.
//
// Gradient convention: gx written (=); gw and gb accumulate (+=).
// Kernel versions and their measurements: cuda/lab/.
#include "cuda/kernels/conv_index.cuh"
#include "cuda/kernels/implicit_gemm.cuh"

namespace heatmark::HM_BACKEND {

struct ConvForwardProblem {
  Conv2dShape s;
  const float* x;
  const float* w;
  const float* bias;  // may be null
  float* y;
  static constexpr bool kBContiguousAlongK = false;  // xcol[k, p]: neighbouring pixels p are neighbours in x

  __device__ float a(int64_t co, int64_t k) const { return w[co * s.C_in * s.kH * s.kW + k]; }
  __device__ float b(int64_t k, int64_t p) const { return conv2d_input_column(s, x, k, p); }
  __device__ void store(int64_t co, int64_t p, int, float v) const {
    const int64_t pixels = s.OH * s.OW, n = p / pixels;
    y[(n * s.C_out + co) * pixels + p % pixels] = v + (bias ? bias[co] : 0.0f);
  }
};

struct ConvBackwardDataProblem {
  Conv2dShape s;
  const float* gy;
  const float* w;
  float* gx;
  static constexpr bool kBContiguousAlongK = false;  // neighbouring input pixels q read neighbouring gy

  // A(ci, k') = w[co, ci, kh, kw] with k' = (co, kh, kw)
  __device__ float a(int64_t ci, int64_t k) const {
    const int64_t taps = s.kH * s.kW, co = k / taps;
    return w[(co * s.C_in + ci) * taps + k % taps];
  }
  // B(k', q) = gy[n, co, oh, ow] where (oh, ow) is the output that reads input
  // pixel q through tap (kh, kw), if there is one.
  __device__ float b(int64_t k, int64_t q) const {
    const TapIndex tap = tap_index(k, s.kH, s.kW);  // (co, kh, kw)
    const PixelIndex in = pixel_index(q, s.H, s.W);  // (n, ih, iw)
    const int64_t oh_s = in.h + s.pad - tap.kh, ow_s = in.w + s.pad - tap.kw;  // = oh * stride when valid
    if (oh_s < 0 || ow_s < 0 || oh_s % s.stride != 0 || ow_s % s.stride != 0) return 0.0f;
    const int64_t oh = oh_s / s.stride, ow = ow_s / s.stride;
    if (oh >= s.OH || ow >= s.OW) return 0.0f;
    return gy[((in.n * s.C_out + tap.c) * s.OH + oh) * s.OW + ow];
  }
  __device__ void store(int64_t ci, int64_t q, int, float v) const {
    const int64_t pixels = s.H * s.W, n = q / pixels;
    gx[(n * s.C_in + ci) * pixels + q % pixels] = v;
  }
};

struct ConvBackwardWeightProblem {
  Conv2dShape s;
  const float* x;
  const float* gy;
  float* out;      // gw (splits == 1) or the split-K workspace (splits, C_out, K)
  bool partial;    // true: write slice `split` of the workspace; false: gw +=
  // B(p, k) = xcol[k, p]: along k (the filter taps) consecutive loads jump
  // between rows and channels; along p (the pixels) they are neighbours.
  static constexpr bool kBContiguousAlongK = true;

  __device__ float a(int64_t co, int64_t p) const {
    const int64_t pixels = s.OH * s.OW, n = p / pixels;
    return gy[(n * s.C_out + co) * pixels + p % pixels];
  }
  __device__ float b(int64_t p, int64_t k) const { return conv2d_input_column(s, x, k, p); }
  __device__ void store(int64_t co, int64_t k, int split, float v) const {
    const int64_t K = s.C_in * s.kH * s.kW;
    if (partial)
      out[(int64_t(split) * s.C_out + co) * K + k] = v;
    else
      out[co * K + k] += v;
  }
};

// gw[i] += sum over slices s of workspace[s][i], slices in order.
__global__ void add_split_partials_kernel(const float* __restrict__ workspace, int splits, int64_t n,
                                          float* __restrict__ gw) {
  for (int64_t i = global_thread_index(); i < n; i += grid_stride()) {
    float v = 0.0f;
    for (int s = 0; s < splits; ++s) v += workspace[s * n + i];
    gw[i] += v;
  }
}

namespace {
// Split-K slices for the weight gradient: enough blocks to fill a large GPU
// (about 256), but at least 1024 pixels per slice. Depends only on the shape.
int weight_splits(const Conv2dShape& s) {
  const int64_t K = s.C_in * s.kH * s.kW, pixels = s.N * s.OH * s.OW;
  const int64_t rows = gemm_block_rows(s.C_out);
  const int64_t tiles = ((s.C_out + rows - 1) / rows) * ((K + kGemmBN - 1) / kGemmBN);
  int64_t splits = (256 + tiles - 1) / tiles;
  splits = splits < pixels / 1024 ? splits : pixels / 1024;
  return static_cast<int>(splits < 1 ? 1 : (splits > 64 ? 64 : splits));
}
}  // namespace

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y,
                    StreamHandle stream) {
  launch_implicit_gemm(ConvForwardProblem{s, x, w, b, y}, s.C_out, s.N * s.OH * s.OW, s.C_in * s.kH * s.kW, 1,
                       static_cast<cudaStream_t>(stream));
}

void conv2d_backward_data(const Conv2dShape& s, const float* gy, const float* w, float* gx, StreamHandle stream) {
  launch_implicit_gemm(ConvBackwardDataProblem{s, gy, w, gx}, s.C_in, s.N * s.H * s.W, s.C_out * s.kH * s.kW, 1,
                       static_cast<cudaStream_t>(stream));
}

int64_t conv2d_weight_workspace_floats(const Conv2dShape& s) {
  const int splits = weight_splits(s);
  return splits > 1 ? int64_t(splits) * s.C_out * s.C_in * s.kH * s.kW : 0;
}

void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* gy, float* gw, float* workspace,
                            StreamHandle stream) {
  const auto st = static_cast<cudaStream_t>(stream);
  const int64_t K = s.C_in * s.kH * s.kW, pixels = s.N * s.OH * s.OW;
  const int splits = weight_splits(s);
  if (splits == 1) {
    launch_implicit_gemm(ConvBackwardWeightProblem{s, x, gy, gw, false}, s.C_out, K, pixels, 1, st);
    return;
  }
  launch_implicit_gemm(ConvBackwardWeightProblem{s, x, gy, workspace, true}, s.C_out, K, pixels, splits, st);
  launch(add_split_partials_kernel, grid_for(s.C_out * K), kBlockSize, 0, st, static_cast<const float*>(workspace),
         splits, s.C_out * K, gw);
}

void conv2d_backward_bias(const Conv2dShape& s, const float* gy, float* gb, StreamHandle stream) {
  channel_sum_accumulate(gy, s.N, s.C_out, s.OH * s.OW, gb, stream);
}

}  // namespace heatmark::HM_BACKEND
