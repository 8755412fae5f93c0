// The shape parameters of the ops, shared by every backend (CPU reference,
// CUDA kernels, emulated kernels). Plain structs, usable in device code.
#pragma once

#include <cmath>
#include <cstdint>

#include "base/host_device.h"

namespace heatmark {

// conv2d: x (N, C_in, H, W) * w (C_out, C_in, kH, kW) [+ b (C_out)] -> y (N, C_out, OH, OW)
// with the same stride and zero padding along both axes.
struct Conv2dShape {
  int64_t N, C_in, H, W;
  int64_t C_out, kH, kW;
  int64_t stride, pad;
  int64_t OH, OW;

  HM_HOST_DEVICE static Conv2dShape make(int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t kH,
                          int64_t kW, int64_t stride, int64_t pad) {
    return {N, C_in, H, W, C_out, kH, kW, stride, pad, (H + 2 * pad - kH) / stride + 1,
            (W + 2 * pad - kW) / stride + 1};
  }
  HM_HOST_DEVICE int64_t gemm_k() const { return C_in * kH * kW; }  // the reduction length of the lowered GEMM
  HM_HOST_DEVICE double flops() const { return 2.0 * N * C_out * OH * OW * gemm_k(); }
};

// batch_norm2d over x (N, C, H, W): statistics per channel over N*H*W values.
struct BatchNormShape {
  int64_t N, C, HW;
  HM_HOST_DEVICE int64_t per_channel() const { return N * HW; }
};

// upsample: x (N, C, H, W) -> y (N, C, OH, OW)
struct UpsampleShape {
  int64_t N, C, H, W, OH, OW;
};

// conv_transpose2d, PyTorch's ConvTranspose2d: x (N, C_in, H, W) and weight
// (C_in, C_out, kH, kW) [+ bias (C_out)] -> y (N, C_out, OH, OW) with
// OH = (H - 1) * stride - 2 * pad + kH + output_pad. It is the transpose
// (adjoint) of a conv2d from y-shaped inputs to x-shaped outputs with the
// same weight, stride and padding: as_conv() is that convolution.
struct ConvTranspose2dShape {
  int64_t N, C_in, H, W;
  int64_t C_out, kH, kW;
  int64_t stride, pad, output_pad;
  int64_t OH, OW;

  HM_HOST_DEVICE static ConvTranspose2dShape make(int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t kH,
                                   int64_t kW, int64_t stride, int64_t pad, int64_t output_pad) {
    return {N, C_in, H, W, C_out, kH, kW, stride, pad, output_pad,
            (H - 1) * stride - 2 * pad + kH + output_pad, (W - 1) * stride - 2 * pad + kW + output_pad};
  }
  // The convolution whose input gradient is this op's forward: input (N, C_out, OH, OW),
  // weight (C_in, C_out, kH, kW) read as (C_out_conv = C_in, C_in_conv = C_out), output (N, C_in, H, W).
  HM_HOST_DEVICE Conv2dShape as_conv() const { return {N, C_out, OH, OW, C_in, kH, kW, stride, pad, H, W}; }
  HM_HOST_DEVICE double flops() const { return 2.0 * N * C_in * H * W * C_out * kH * kW; }
};

// Landmark heatmaps: (N, K, H, W) maps for N images of K landmarks.
struct HeatmapShape {
  int64_t N, K, H, W;
};

// crop_patches: images (B, C, H, W) and patches (N, kPatchRowSize) -> (N, C, OH, OW).
// A patch row is [b, a, bb, c, d, e, f]: the image index, then the affine map
// from patch pixel coordinates to image pixel coordinates (tensor/cpu/crop_patches.h).
inline constexpr int64_t kPatchRowSize = 7;
struct CropPatchesShape {
  int64_t B, C, H, W;
  int64_t N, OH, OW;
};

// The optimizers update all parameters in one launch ("multi-tensor"): the
// host cuts every parameter into chunks of kParamChunk elements and passes a
// table of them; block b of the kernel updates chunk b. The chunking depends
// only on the parameter sizes, so reductions over it are deterministic.
inline constexpr int64_t kParamChunk = 65536;

struct ParamChunk {
  float* param;
  const float* grad;
  float* state0;  // Adam: first moment m; SGD: momentum buffer
  float* state1;  // Adam: second moment v; SGD: unused
  int64_t offset, count;  // the elements [offset, offset + count) of this tensor
};

// 1 - beta^t: the bias correction of an Adam moment after step t (t >= 1).
inline double bias_correction(double beta, int64_t step) { return 1 - std::pow(beta, static_cast<double>(step)); }

struct AdamHyper {
  float lr, beta1, beta2, eps, weight_decay;
  float bias_correction1, bias_correction2;  // 1 - beta1^t and 1 - beta2^t for step t
  int decoupled;                             // AdamW: decay the weights directly
};

struct SgdHyper {
  float lr, momentum, weight_decay;
  int first_step;  // the momentum buffer starts as the gradient
};

}  // namespace heatmark
