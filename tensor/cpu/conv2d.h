// CPU reference kernels: 2-D convolution (cross-correlation, as in PyTorch).
//
//   y[n, co, oh, ow] = b[co] + sum_{ci, kh, kw} w[co, ci, kh, kw] * x[n, ci, oh*s - p + kh, ow*s - p + kw]
//
// Buffers: x (N, C_in, H, W), w (C_out, C_in, kH, kW), b (C_out), y (N, C_out, OH, OW).
// Samples outside the input are zero (zero padding).
//
// Gradient convention: gx is written (=); gw and gb accumulate (+=).
//
// These direct loops are the readable ground truth, used in double by the
// gradient checks. The float path of the CPU backend is conv2d_direct.cpp:
// the same sums, register-blocked with the micro-kernels of tile_kernels.h;
// the op tests compare the two.
#pragma once

#include "base/op_shapes.h"
#include "tensor/cpu/tile_grid.h"

namespace heatmark::cpu {

template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t co = 0; co < s.C_out; ++co)
      for (int64_t oh = 0; oh < s.OH; ++oh)
        for (int64_t ow = 0; ow < s.OW; ++ow) {
          T acc = b ? b[co] : T(0);
          for (int64_t ci = 0; ci < s.C_in; ++ci)
            for (int64_t kh = 0; kh < s.kH; ++kh) {
              const int64_t ih = oh * s.stride - s.pad + kh;
              if (ih < 0 || ih >= s.H) continue;
              for (int64_t kw = 0; kw < s.kW; ++kw) {
                const int64_t iw = ow * s.stride - s.pad + kw;
                if (iw < 0 || iw >= s.W) continue;
                acc += w[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] *
                       x[((n * s.C_in + ci) * s.H + ih) * s.W + iw];
              }
            }
          y[((n * s.C_out + co) * s.OH + oh) * s.OW + ow] = acc;
        }
}

// gx = dL/dx (written)
template <typename T>
void conv2d_backward_data(const Conv2dShape& s, const T* gy, const T* w, T* gx) {
  for (int64_t i = 0; i < s.N * s.C_in * s.H * s.W; ++i) gx[i] = T(0);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t co = 0; co < s.C_out; ++co)
      for (int64_t oh = 0; oh < s.OH; ++oh)
        for (int64_t ow = 0; ow < s.OW; ++ow) {
          const T g = gy[((n * s.C_out + co) * s.OH + oh) * s.OW + ow];
          for (int64_t ci = 0; ci < s.C_in; ++ci)
            for (int64_t kh = 0; kh < s.kH; ++kh) {
              const int64_t ih = oh * s.stride - s.pad + kh;
              if (ih < 0 || ih >= s.H) continue;
              for (int64_t kw = 0; kw < s.kW; ++kw) {
                const int64_t iw = ow * s.stride - s.pad + kw;
                if (iw < 0 || iw >= s.W) continue;
                gx[((n * s.C_in + ci) * s.H + ih) * s.W + iw] +=
                    w[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] * g;
              }
            }
        }
}

// gw += dL/dw
template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* gy, T* gw) {
  for (int64_t co = 0; co < s.C_out; ++co)
    for (int64_t ci = 0; ci < s.C_in; ++ci)
      for (int64_t kh = 0; kh < s.kH; ++kh)
        for (int64_t kw = 0; kw < s.kW; ++kw) {
          T acc = 0;
          for (int64_t n = 0; n < s.N; ++n)
            for (int64_t oh = 0; oh < s.OH; ++oh) {
              const int64_t ih = oh * s.stride - s.pad + kh;
              if (ih < 0 || ih >= s.H) continue;
              for (int64_t ow = 0; ow < s.OW; ++ow) {
                const int64_t iw = ow * s.stride - s.pad + kw;
                if (iw < 0 || iw >= s.W) continue;
                acc += gy[((n * s.C_out + co) * s.OH + oh) * s.OW + ow] *
                       x[((n * s.C_in + ci) * s.H + ih) * s.W + iw];
              }
            }
          gw[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] += acc;
        }
}

// gb += dL/db: the sum of gy over N, OH, OW per output channel.
template <typename T>
void conv2d_backward_bias(const Conv2dShape& s, const T* gy, T* gb) {
  for (int64_t co = 0; co < s.C_out; ++co) {
    T acc = 0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t p = 0; p < s.OH * s.OW; ++p) acc += gy[(n * s.C_out + co) * s.OH * s.OW + p];
    gb[co] += acc;
  }
}

// The float CPU path (conv2d_direct.cpp). Same contracts as above. The bias
// gradient is channel_sum_accumulate (reduce.h).
//
// ConvTiling is how it runs: the micro-kernel variant (by default
// tile_kernels(): the CPU's best, or the one HEATMARK_CPU_KERNELS names) and
// the loop nest around it. The defaults are production; the CPU kernel lab
// (tensor/cpu/lab) times the alternatives.
struct ConvTiling {
  const TileKernels* kernels = nullptr;  // null: tile_kernels()
  RowsSchedule rows;                     // forward and backward data
  int64_t dot_q_chunk = int64_t{1} << 40;  // weight gradient: positions per pass over the output channels
  int64_t dot_column_blocks = 4;         // weight gradient: column blocks per work item
};
void conv2d_forward_direct(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y,
                           const ConvTiling& tiling = {});
void conv2d_backward_data_direct(const Conv2dShape& s, const float* gy, const float* w, float* gx,
                                 const ConvTiling& tiling = {});
void conv2d_backward_weight_direct(const Conv2dShape& s, const float* x, const float* gy, float* gw,
                                   const ConvTiling& tiling = {});

}  // namespace heatmark::cpu
