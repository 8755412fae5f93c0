// Op dispatch: the tensor-level entry point of every kernel.
//
// Each function checks shapes and devices (with messages that name the
// tensors), allocates its outputs on the inputs' device and runs the kernel
// of that device's backend. Nothing here records autograd history; the
// differentiable ops in autograd/ops.h are built on these.
//
// Gradient convention: functions returning a gradient write it (=); functions
// taking a gradient by reference add into it (+=), which is what parameter
// gradients use.
#pragma once

#include <vector>

#include "tensor/op_shapes.h"
#include "tensor/tensor.h"

namespace heatmark::kernels {

// ---- elementwise -------------------------------------------------------
void fill(Tensor& y, float value);
void copy(Tensor& dst, const Tensor& src);       // same shape, any devices
Tensor add(const Tensor& a, const Tensor& b);     // a + b
Tensor mul(const Tensor& a, const Tensor& b);     // a * b
// ga = gy * b, gb = gy * a in one pass; either output may be null.
void mul_backward(const Tensor& a, const Tensor& b, const Tensor& gy, Tensor* ga, Tensor* gb);
Tensor scale(const Tensor& x, float alpha);       // alpha * x
void accumulate(Tensor& y, const Tensor& x);      // y += x
Tensor relu_forward(const Tensor& x);
Tensor relu_backward(const Tensor& y, const Tensor& gy);  // uses the output y

// ---- reductions (to a one-element tensor of shape ()) ------------------
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);
// The backward of sum/mean: a tensor of `shape` filled with scale * g, where g
// has one element (read on the device, without a host round trip).
Tensor broadcast_scalar(const Tensor& g, const Shape& shape, float scale);

// ---- matmul: y (M, N) = a (M, K) b (K, N) -------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);
// Either output may be null when not wanted; outputs are (re)allocated.
void matmul_backward(const Tensor& a, const Tensor& b, const Tensor& gy, Tensor* ga, Tensor* gb);

// ---- conv2d --------------------------------------------------------------
// x (N, C_in, H, W), w (C_out, C_in, kH, kW), b (C_out) or undefined.
Conv2dShape conv2d_shape(const Tensor& x, const Tensor& w, int stride, int padding);
Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int padding);
Tensor conv2d_backward_data(const Conv2dShape& s, const Tensor& gy, const Tensor& w);
void conv2d_backward_weight(const Conv2dShape& s, const Tensor& x, const Tensor& gy, Tensor& gw);  // +=
void conv2d_backward_bias(const Conv2dShape& s, const Tensor& gy, Tensor& gb);                     // +=

// ---- batchnorm2d ---------------------------------------------------------
struct BatchNormSaved {
  Tensor mean, invstd;  // (C) batch statistics saved for backward
};
// Training mode: batch statistics; updates running_mean/var in place when defined.
Tensor batchnorm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                               Tensor& running_var, float momentum, float eps, BatchNormSaved& saved);
Tensor batchnorm_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                              const Tensor& running_mean, const Tensor& running_var, float eps);
// gx is written; ggamma and gbeta accumulate.
Tensor batchnorm_backward_train(const Tensor& x, const Tensor& gamma, const BatchNormSaved& saved,
                                const Tensor& gy, Tensor& ggamma, Tensor& gbeta);
Tensor batchnorm_backward_eval(const Tensor& x, const Tensor& gamma, const Tensor& running_mean,
                               const Tensor& running_var, float eps, const Tensor& gy, Tensor& ggamma,
                               Tensor& gbeta);

// ---- upsampling ------------------------------------------------------------
Tensor upsample_nearest_forward(const Tensor& x, int factor);
Tensor upsample_nearest_backward(const Tensor& gy, const Shape& x_shape);
Tensor upsample_bilinear_forward(const Tensor& x, int64_t out_h, int64_t out_w);
Tensor upsample_bilinear_backward(const Tensor& gy, const Shape& x_shape);

// ---- channel concat --------------------------------------------------------
Tensor concat_channels(const std::vector<Tensor>& xs);
// The channels [offset, offset + channels) of y, as a new tensor.
Tensor slice_channels(const Tensor& y, int64_t offset, int64_t channels);

}  // namespace heatmark::kernels
