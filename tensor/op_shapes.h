// The shape parameters of the ops, shared by every backend (CPU reference,
// CUDA kernels, emulated kernels). Plain structs, usable in device code.
#pragma once

#include <cstdint>

namespace heatmark {

// conv2d: x (N, C_in, H, W) * w (C_out, C_in, kH, kW) [+ b (C_out)] -> y (N, C_out, OH, OW)
// with the same stride and zero padding along both axes.
struct Conv2dShape {
  int64_t N, C_in, H, W;
  int64_t C_out, kH, kW;
  int64_t stride, pad;
  int64_t OH, OW;

  static Conv2dShape make(int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t kH,
                          int64_t kW, int64_t stride, int64_t pad) {
    return {N, C_in, H, W, C_out, kH, kW, stride, pad, (H + 2 * pad - kH) / stride + 1,
            (W + 2 * pad - kW) / stride + 1};
  }
  int64_t gemm_k() const { return C_in * kH * kW; }  // the reduction length of the lowered GEMM
  double flops() const { return 2.0 * N * C_out * OH * OW * gemm_k(); }
};

// batchnorm2d over x (N, C, H, W): statistics per channel over N*H*W values.
struct BatchNormShape {
  int64_t N, C, HW;
  int64_t per_channel() const { return N * HW; }
};

// upsample: x (N, C, H, W) -> y (N, C, OH, OW)
struct UpsampleShape {
  int64_t N, C, H, W, OH, OW;
};

}  // namespace heatmark
