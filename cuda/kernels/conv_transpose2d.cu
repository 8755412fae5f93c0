// conv_transpose2d (PyTorch's ConvTranspose2d), every pass a gather:
// x (N, C_in, H, W), w (C_in, C_out, kH, kW), b (C_out), y (N, C_out, OH, OW).
//
//   forward          one thread per output y[n, co, oh, ow]: the taps (kh, kw)
//                    with oh = ih*s - p + kh for an integer ih in range, i.e.
//                    (oh + p - kh) divisible by s; at most ceil(k/s)^2 of them.
//   backward data    one thread per input gx[n, ci, ih, iw]: a plain conv2d
//                    of gy with the same weights.
//   backward weight  one block per weight w[ci, co, kh, kw]: a block reduction
//                    over every input pixel (deterministic).
//   bias             channel sums of gy (reduce.cu).
// No atomics anywhere. Gradient convention: gx written; gw, gb accumulate.
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/conv_index.cuh"

namespace heatmark::HM_BACKEND {

__global__ void conv_transpose2d_forward_kernel(ConvTranspose2dShape s, const float* __restrict__ x,
                                                const float* __restrict__ w, const float* __restrict__ bias,
                                                float* __restrict__ y) {
  const int64_t total = s.N * s.C_out * s.OH * s.OW;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const NchwIndex out = nchw_index(i, s.C_out, s.OH, s.OW);
    const int64_t n = out.n, co = out.c, oh = out.h, ow = out.w;
    float acc = bias ? bias[co] : 0.0f;
    for (int64_t kh = 0; kh < s.kH; ++kh) {
      const int64_t ih_s = oh + s.pad - kh;  // = ih * stride for a contributing input row
      if (ih_s < 0 || ih_s % s.stride != 0 || ih_s / s.stride >= s.H) continue;
      for (int64_t kw = 0; kw < s.kW; ++kw) {
        const int64_t iw_s = ow + s.pad - kw;
        if (iw_s < 0 || iw_s % s.stride != 0 || iw_s / s.stride >= s.W) continue;
        const int64_t ih = ih_s / s.stride, iw = iw_s / s.stride;
        for (int64_t ci = 0; ci < s.C_in; ++ci)
          acc += x[((n * s.C_in + ci) * s.H + ih) * s.W + iw] * w[((ci * s.C_out + co) * s.kH + kh) * s.kW + kw];
      }
    }
    y[i] = acc;
  }
}

__global__ void conv_transpose2d_backward_data_kernel(ConvTranspose2dShape s, const float* __restrict__ gy,
                                                      const float* __restrict__ w, float* __restrict__ gx) {
  const int64_t total = s.N * s.C_in * s.H * s.W;
  for (int64_t i = global_thread_index(); i < total; i += grid_stride()) {
    const NchwIndex in = nchw_index(i, s.C_in, s.H, s.W);
    const int64_t n = in.n, ci = in.c, ih = in.h, iw = in.w;
    float acc = 0.0f;
    for (int64_t co = 0; co < s.C_out; ++co)
      for (int64_t kh = 0; kh < s.kH; ++kh) {
        const int64_t oh = ih * s.stride - s.pad + kh;
        if (oh < 0 || oh >= s.OH) continue;
        for (int64_t kw = 0; kw < s.kW; ++kw) {
          const int64_t ow = iw * s.stride - s.pad + kw;
          if (ow < 0 || ow >= s.OW) continue;
          acc += w[((ci * s.C_out + co) * s.kH + kh) * s.kW + kw] * gy[((n * s.C_out + co) * s.OH + oh) * s.OW + ow];
        }
      }
    gx[i] = acc;
  }
}

// Block b owns weight element b = ((ci * C_out + co) * kH + kh) * kW + kw.
__global__ void conv_transpose2d_backward_weight_kernel(ConvTranspose2dShape s, const float* __restrict__ x,
                                                        const float* __restrict__ gy, float* __restrict__ gw) {
  const int64_t e = blockIdx.x;
  const NchwIndex tap = nchw_index(e, s.C_out, s.kH, s.kW);  // the weight (C_in, C_out, kH, kW) is laid out like NCHW
  const int64_t ci = tap.n, co = tap.c, kh = tap.h, kw = tap.w;
  float acc = 0.0f;
  const int64_t pixels = s.H * s.W;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t q = threadIdx.x; q < pixels; q += kBlockSize) {
      const int64_t ih = q / s.W, iw = q % s.W;
      const int64_t oh = ih * s.stride - s.pad + kh, ow = iw * s.stride - s.pad + kw;
      if (oh >= 0 && oh < s.OH && ow >= 0 && ow < s.OW)
        acc += x[(n * s.C_in + ci) * pixels + q] * gy[((n * s.C_out + co) * s.OH + oh) * s.OW + ow];
    }
  acc = block_sum(acc);
  if (threadIdx.x == 0) gw[e] += acc;
}

void conv_transpose2d_forward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b, float* y,
                              StreamHandle stream) {
  const int64_t n = s.N * s.C_out * s.OH * s.OW;
  if (n > 0)
    launch(conv_transpose2d_forward_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, x, w, b,
           y);
}

void conv_transpose2d_backward_data(const ConvTranspose2dShape& s, const float* gy, const float* w, float* gx,
                                    StreamHandle stream) {
  const int64_t n = s.N * s.C_in * s.H * s.W;
  if (n > 0)
    launch(conv_transpose2d_backward_data_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), s,
           gy, w, gx);
}

void conv_transpose2d_backward_weight(const ConvTranspose2dShape& s, const float* x, const float* gy, float* gw,
                                      StreamHandle stream) {
  const int64_t weights = s.C_in * s.C_out * s.kH * s.kW;
  if (weights > 0)
    launch(conv_transpose2d_backward_weight_kernel, static_cast<unsigned>(weights), kBlockSize, 0,
           static_cast<cudaStream_t>(stream), s, x, gy, gw);
}

}  // namespace heatmark::HM_BACKEND
