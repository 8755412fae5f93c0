// Differentiable operations: what models are written with.
//
// Each op runs the kernel of its inputs' device (tensor/kernels.h) and, when
// an input requires grad, records a Node whose backward function calls the
// matching backward kernels. Shapes in comments are NCHW.
#pragma once

#include <vector>

#include "base/defaults.h"
#include "base/op_shapes.h"
#include "tensor/kernels.h"
#include "tensor/tensor.h"

namespace heatmark {

Tensor add(const Tensor& a, const Tensor& b);  // same shapes
Tensor mul(const Tensor& a, const Tensor& b);  // same shapes, elementwise
Tensor scale(const Tensor& x, float alpha);
Tensor relu(const Tensor& x);
Tensor sum(const Tensor& x);   // all elements -> shape ()
Tensor mean(const Tensor& x);  // all elements -> shape ()
Tensor matmul(const Tensor& a, const Tensor& b);  // (M, K) x (K, N) -> (M, N)

// x (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out) or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride = 1, int padding = 0);

// Batch normalisation over channels of x (N, C, H, W) with affine gamma, beta (C).
// Training: batch statistics, and running_mean/running_var (C) are updated in
// place (PyTorch convention: momentum 0.1, unbiased running variance).
// Eval: normalises with the running statistics.
Tensor batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                    Tensor& running_var, bool training, float momentum = 0.1f, float eps = 1e-5f);

// x (N, C_in, H, W), weight (C_in, C_out, kH, kW) as in PyTorch's ConvTranspose2d,
// bias (C_out) or undefined -> (N, C_out, (H-1)*stride - 2*padding + kH + output_padding, ...).
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride = 2, int padding = 1,
                        int output_padding = 0);

Tensor upsample_nearest(const Tensor& x, int factor);                   // (N, C, H*f, W*f)
Tensor upsample_bilinear(const Tensor& x, int64_t out_h, int64_t out_w);  // align_corners=False

// Concatenates (N, C_i, H, W) tensors along the channels.
Tensor concat_channels(const std::vector<Tensor>& xs);

// ---- landmarks (conventions: tensor/cpu/render_gaussian_heatmaps.h; beta: tensor/cpu/soft_argmax.h) ----

// Gaussian targets (N, K, H, W) and their weights (N, K) for coordinates
// (N, K, 2) in heatmap pixels and a visibility (N, K): constants of the loss,
// so nothing is recorded.
kernels::HeatmapTargets render_gaussian_heatmaps(const Tensor& coords, const Tensor& visibility, int64_t height,
                                                 int64_t width, float sigma);

// Patches sampled from images (B, C, H, W) for a coarse-to-fine refiner:
// patches (N, 7) has rows [b, a, bb, c, d, e, f], the image index and the
// affine map from patch pixels to image pixels (formula:
// tensor/cpu/crop_patches.h) -> (N, C, out_h, out_w). Images and maps are
// data, so nothing is recorded, and an input that requires grad is refused
// rather than silently getting no gradient (detach() it first).
Tensor crop_patches(const Tensor& images, const Tensor& patches, int64_t out_h, int64_t out_w, float fill = 0.0f);

// Heatmaps (N, K, H, W) -> coordinates (N, K, 2) normalised to [0, 1]: the
// expectation of pixel centres under softmax(beta * heatmap).
Tensor soft_argmax(const Tensor& heatmaps, float beta = defaults::kSoftArgmaxBeta);

// Weighted heatmap MSE, a mean over all pixels; target and weight (N, K) are
// constants.
Tensor weighted_mse(const Tensor& heatmaps, const Tensor& target, const Tensor& weight);
// Weighted L1 between coordinates (N, K, 2), a mean over all coordinates.
Tensor weighted_l1(const Tensor& coords, const Tensor& truth, const Tensor& weight);

// The training loss: heatmap_weight * MSE + coordinate_weight * L1 (defaults 1.0 and 0.5).
struct LandmarkLoss {
  Tensor total, heatmap, coordinate;  // the total and both terms (each unweighted term is logged)
};
LandmarkLoss landmark_loss(const Tensor& heatmaps, const Tensor& target, const Tensor& coords, const Tensor& truth,
                           const Tensor& weight, float heatmap_weight = defaults::kHeatmapWeight,
                           float coordinate_weight = defaults::kCoordinateWeight);

}  // namespace heatmark
