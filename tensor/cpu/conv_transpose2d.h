// CPU reference kernels: 2-D transposed convolution, as PyTorch's ConvTranspose2d.
//
//   y[n, co, oh, ow] = b[co] + sum over ci, kh, kw and input pixels (ih, iw) with
//                      oh = ih*s - p + kh, ow = iw*s - p + kw  of  x[n, ci, ih, iw] * w[ci, co, kh, kw]
//
// Buffers: x (N, C_in, H, W), w (C_in, C_out, kH, kW), b (C_out), y (N, C_out, OH, OW).
// Each input pixel scatters a kH x kW patch (times the weights) into the
// output at stride s: the adjoint of conv2d, hence "transposed".
// Gradient convention: gx is written (=); gw and gb accumulate (+=).
//
// These loops are the ground truth. The float CPU path reuses the lowered
// conv2d kernels through the adjoint relation (conv_transpose2d_direct.cpp).
#pragma once

#include "base/op_shapes.h"

namespace heatmark::cpu {

template <typename T>
void conv_transpose2d_forward(const ConvTranspose2dShape& s, const T* x, const T* w, const T* b, T* y) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t co = 0; co < s.C_out; ++co)
      for (int64_t i = 0; i < s.OH * s.OW; ++i) y[(n * s.C_out + co) * s.OH * s.OW + i] = b ? b[co] : T(0);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t ci = 0; ci < s.C_in; ++ci)
      for (int64_t ih = 0; ih < s.H; ++ih)
        for (int64_t iw = 0; iw < s.W; ++iw) {
          const T v = x[((n * s.C_in + ci) * s.H + ih) * s.W + iw];
          for (int64_t co = 0; co < s.C_out; ++co)
            for (int64_t kh = 0; kh < s.kH; ++kh) {
              const int64_t oh = ih * s.stride - s.pad + kh;
              if (oh < 0 || oh >= s.OH) continue;
              for (int64_t kw = 0; kw < s.kW; ++kw) {
                const int64_t ow = iw * s.stride - s.pad + kw;
                if (ow < 0 || ow >= s.OW) continue;
                y[((n * s.C_out + co) * s.OH + oh) * s.OW + ow] += v * w[((ci * s.C_out + co) * s.kH + kh) * s.kW + kw];
              }
            }
        }
}

// gx[n, ci, ih, iw] = sum over co, kh, kw of w[ci, co, kh, kw] * gy[n, co, ih*s - p + kh, iw*s - p + kw]
template <typename T>
void conv_transpose2d_backward_data(const ConvTranspose2dShape& s, const T* gy, const T* w, T* gx) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t ci = 0; ci < s.C_in; ++ci)
      for (int64_t ih = 0; ih < s.H; ++ih)
        for (int64_t iw = 0; iw < s.W; ++iw) {
          T acc = 0;
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
          gx[((n * s.C_in + ci) * s.H + ih) * s.W + iw] = acc;
        }
}

// gw += dL/dw, gb += dL/db
template <typename T>
void conv_transpose2d_backward_weight(const ConvTranspose2dShape& s, const T* x, const T* gy, T* gw) {
  for (int64_t ci = 0; ci < s.C_in; ++ci)
    for (int64_t co = 0; co < s.C_out; ++co)
      for (int64_t kh = 0; kh < s.kH; ++kh)
        for (int64_t kw = 0; kw < s.kW; ++kw) {
          T acc = 0;
          for (int64_t n = 0; n < s.N; ++n)
            for (int64_t ih = 0; ih < s.H; ++ih) {
              const int64_t oh = ih * s.stride - s.pad + kh;
              if (oh < 0 || oh >= s.OH) continue;
              for (int64_t iw = 0; iw < s.W; ++iw) {
                const int64_t ow = iw * s.stride - s.pad + kw;
                if (ow < 0 || ow >= s.OW) continue;
                acc += x[((n * s.C_in + ci) * s.H + ih) * s.W + iw] * gy[((n * s.C_out + co) * s.OH + oh) * s.OW + ow];
              }
            }
          gw[((ci * s.C_out + co) * s.kH + kh) * s.kW + kw] += acc;
        }
}

template <typename T>
void conv_transpose2d_backward_bias(const ConvTranspose2dShape& s, const T* gy, T* gb) {
  for (int64_t co = 0; co < s.C_out; ++co) {
    T acc = 0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t i = 0; i < s.OH * s.OW; ++i) acc += gy[(n * s.C_out + co) * s.OH * s.OW + i];
    gb[co] += acc;
  }
}

// The float CPU path (conv_transpose2d_direct.cpp); same contracts. The bias
// gradient is channel_sum_accumulate (reduce.h).
void conv_transpose2d_forward_direct(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                                   float* y);
void conv_transpose2d_backward_data_direct(const ConvTranspose2dShape& s, const float* gy, const float* w, float* gx);
void conv_transpose2d_backward_weight_direct(const ConvTranspose2dShape& s, const float* x, const float* gy, float* gw);

}  // namespace heatmark::cpu
