// Op dispatch: the tensor-level entry point of every kernel.
//
// Each function checks shapes and devices (with messages that name the
// tensors), allocates its outputs on the inputs' device and runs the kernel
// of that device's backend. Nothing here records autograd history; the
// differentiable ops in autograd/ops.h are built on these. Each op family is
// defined in tensor/dispatch/<op>.cpp, on the core in tensor/dispatch/dispatch.h.
//
// Gradient convention: functions returning a gradient write it (=); functions
// taking a gradient by reference add into it (+=), which is what parameter
// gradients use.
#pragma once

#include <string_view>
#include <vector>

#include "base/op_shapes.h"
#include "tensor/tensor.h"

namespace heatmark::kernels {

// Which kernels run: the hand-written ones (the default) or the vendor
// libraries, loaded at run time, where they exist:
//   CUDA devices  cuDNN for conv2d, conv_transpose2d and batch norm, cuBLAS
//                 for matmul;
//   the CPU       oneDNN for conv2d and conv_transpose2d (forward, data and
//                 weight gradients; the bias gradient stays hand-written);
// every other op stays hand-written on both. The emulator always runs the
// hand-written kernels.
enum class KernelProvider { HandWritten, Vendor };
void set_kernel_provider(KernelProvider provider);
KernelProvider kernel_provider();
// "handwritten" or "vendor"; throws heatmark::Error otherwise.
KernelProvider parse_kernel_provider(std::string_view text);
// What a command does with its --kernels flag for `device`: parses it, and for
// "vendor" loads the device's libraries now (oneDNN for the CPU, cuDNN and
// cuBLAS for CUDA), so that a missing library is one clear error at start-up
// (naming it, what was tried and what to install) rather than mid-run, and
// refuses a device that has none (the emulator). Then sets the provider.
void select_kernel_provider(std::string_view text, Device device);

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

// ---- batch_norm2d ---------------------------------------------------------
struct BatchNormSaved {
  Tensor mean, invstd;  // (C) batch statistics saved for backward
  float eps = 1e-5f;
};
// Training mode: batch statistics; updates running_mean/var in place when defined.
Tensor batch_norm2d_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                                  Tensor& running_var, float momentum, float eps, BatchNormSaved& saved);
Tensor batch_norm2d_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                 const Tensor& running_mean, const Tensor& running_var, float eps);
// gx is written; ggamma and gbeta accumulate.
Tensor batch_norm2d_backward_train(const Tensor& x, const Tensor& gamma, const BatchNormSaved& saved,
                                   const Tensor& gy, Tensor& ggamma, Tensor& gbeta);
Tensor batch_norm2d_backward_eval(const Tensor& x, const Tensor& gamma, const Tensor& running_mean,
                                  const Tensor& running_var, float eps, const Tensor& gy, Tensor& ggamma,
                                  Tensor& gbeta);

// ---- conv_transpose2d ------------------------------------------------------
// x (N, C_in, H, W), w (C_in, C_out, kH, kW), b (C_out) or undefined.
ConvTranspose2dShape conv_transpose2d_shape(const Tensor& x, const Tensor& w, int stride, int padding,
                                            int output_padding);
Tensor conv_transpose2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int padding,
                                int output_padding);
Tensor conv_transpose2d_backward_data(const ConvTranspose2dShape& s, const Tensor& gy, const Tensor& w);
void conv_transpose2d_backward_weight(const ConvTranspose2dShape& s, const Tensor& x, const Tensor& gy,
                                      Tensor& gw);                                           // +=
void conv_transpose2d_backward_bias(const ConvTranspose2dShape& s, const Tensor& gy, Tensor& gb);  // +=

// ---- upsampling ------------------------------------------------------------
Tensor upsample_nearest_forward(const Tensor& x, int factor);
Tensor upsample_nearest_backward(const Tensor& gy, const Shape& x_shape);
Tensor upsample_bilinear_forward(const Tensor& x, int64_t out_h, int64_t out_w);
Tensor upsample_bilinear_backward(const Tensor& gy, const Shape& x_shape);

// ---- channel concat --------------------------------------------------------
Tensor concat_channels(const std::vector<Tensor>& xs);
// The channels [offset, offset + channels) of y, as a new tensor.
Tensor slice_channels(const Tensor& y, int64_t offset, int64_t channels);

// ---- landmark heatmaps (conventions: tensor/cpu/render_gaussian_heatmaps.h) -----------------
struct HeatmapTargets {
  Tensor target;  // (N, K, H, W)
  Tensor weight;  // (N, K)
};
// coords (N, K, 2) in heatmap pixels, visibility (N, K).
HeatmapTargets render_gaussian_heatmaps(const Tensor& coords, const Tensor& visibility, int64_t height, int64_t width,
                                        float sigma);
// heatmaps (N, K, H, W) -> normalised coords (N, K, 2), and back.
Tensor soft_argmax_forward(const Tensor& heatmaps, float beta);
Tensor soft_argmax_backward(const Tensor& heatmaps, const Tensor& coords, const Tensor& g_coords, float beta);

// ---- patches (formula: tensor/cpu/crop_patches.h) ---------------------------
// images (B, C, H, W) and patches (N, 7), rows [b, a, bb, c, d, e, f] ->
// (N, C, out_h, out_w): patch n samples image b bilinearly through the map
// from patch pixels (x, y) to image pixels x_src = a x + bb y + c,
// y_src = d x + e y + f (corner-origin), reading `fill` outside the image.
// A row whose index is not an integer in [0, B), or whose map is not finite,
// is refused with heatmark::Error naming it. No backward.
Tensor crop_patches(const Tensor& images, const Tensor& patches, int64_t out_h, int64_t out_w, float fill);

// ---- losses (formulas: tensor/cpu/losses.h); g is the scalar output gradient --
Tensor weighted_mse_forward(const Tensor& pred, const Tensor& target, const Tensor& weight);
Tensor weighted_mse_backward(const Tensor& pred, const Tensor& target, const Tensor& weight, const Tensor& g);
Tensor weighted_l1_forward(const Tensor& pred, const Tensor& truth, const Tensor& weight);
Tensor weighted_l1_backward(const Tensor& pred, const Tensor& truth, const Tensor& weight, const Tensor& g);

// ---- optimizers: one fused update over all parameters (cpu/optimizers.h) ----
// `grad_scale` is a one-element tensor multiplying every gradient (the
// clipping factor), or undefined for 1. States are updated in place.
void adam_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads, const std::vector<Tensor>& m,
               const std::vector<Tensor>& v, const AdamHyper& hyper, const Tensor& grad_scale);
void sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
              const std::vector<Tensor>& momentum, const SgdHyper& hyper, const Tensor& grad_scale);
// {norm, min(1, max_norm / (norm + 1e-6))} of all gradients together, as a
// (2) tensor on their device; max_norm <= 0 gives a factor of 1.
Tensor gradient_norm(const std::vector<Tensor>& grads, float max_norm);

}  // namespace heatmark::kernels
