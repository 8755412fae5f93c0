#include "autograd/ops.h"

#include "autograd/node.h"
#include "base/error.h"
#include "tensor/kernels.h"

namespace heatmark {

using autograd::record;
using Grads = std::vector<Tensor>;

Tensor add(const Tensor& a, const Tensor& b) {
  return record(kernels::add(a, b), "AddBackward", {a, b}, [](const Tensor& g) { return Grads{g, g}; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  const std::vector<bool> needs = autograd::input_needs_grad({a, b});
  return record(kernels::mul(a, b), "MulBackward", {a, b}, [a, b, needs](const Tensor& g) {
    Grads grads(2);
    kernels::mul_backward(a, b, g, needs[0] ? &grads[0] : nullptr, needs[1] ? &grads[1] : nullptr);
    return grads;
  });
}

Tensor scale(const Tensor& x, float alpha) {
  return record(kernels::scale(x, alpha), "ScaleBackward", {x},
                [alpha](const Tensor& g) { return Grads{kernels::scale(g, alpha)}; });
}

Tensor relu(const Tensor& x) {
  Tensor y = kernels::relu_forward(x);
  // Saves the output, not the input: backward needs only where y > 0. A
  // detached handle avoids a reference cycle between y and its own node.
  return record(y, "ReluBackward", {x},
                [y = y.detach()](const Tensor& g) { return Grads{kernels::relu_backward(y, g)}; });
}

Tensor sum(const Tensor& x) {
  return record(kernels::sum(x), "SumBackward", {x}, [shape = x.shape()](const Tensor& g) {
    return Grads{kernels::broadcast_scalar(g, shape, 1.0f)};
  });
}

Tensor mean(const Tensor& x) {
  return record(kernels::mean(x), "MeanBackward", {x}, [shape = x.shape()](const Tensor& g) {
    return Grads{kernels::broadcast_scalar(g, shape, 1.0f / static_cast<float>(shape.numel()))};
  });
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const std::vector<bool> needs = autograd::input_needs_grad({a, b});
  return record(kernels::matmul(a, b), "MatmulBackward", {a, b}, [a, b, needs](const Tensor& g) {
    Grads grads(2);
    kernels::matmul_backward(a, b, g, needs[0] ? &grads[0] : nullptr, needs[1] ? &grads[1] : nullptr);
    return grads;
  });
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding) {
  Tensor y = kernels::conv2d_forward(x, weight, bias, stride, padding);
  const std::vector<bool> needs = autograd::input_needs_grad({x, weight, bias});
  const Conv2dShape s = kernels::conv2d_shape(x, weight, stride, padding);
  // Save only what backward will read: the weight for gx, the input for gw.
  Tensor x_saved = needs[1] ? x.detach() : Tensor(), w_saved = needs[0] ? weight.detach() : Tensor();
  return record(y, "Conv2dBackward", {x, weight, bias},
                [x = x_saved, weight = w_saved, needs, s](const Tensor& g) {
    Grads grads(3);
    if (needs[0]) grads[0] = kernels::conv2d_backward_data(s, g, weight);
    if (needs[1]) {
      grads[1] = Tensor::zeros({s.C_out, s.C_in, s.kH, s.kW}, g.device());
      kernels::conv2d_backward_weight(s, x, g, grads[1]);
    }
    if (needs[2]) {
      grads[2] = Tensor::zeros({s.C_out}, g.device());
      kernels::conv2d_backward_bias(s, g, grads[2]);
    }
    return grads;
  });
}

Tensor batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                    Tensor& running_var, bool training, float momentum, float eps) {
  if (training) {
    kernels::BatchNormSaved saved;
    Tensor y = kernels::batch_norm2d_forward_train(x, gamma, beta, running_mean, running_var, momentum, eps, saved);
    return record(y, "BatchNormBackward", {x, gamma, beta}, [x, gamma, saved](const Tensor& g) {
      Grads grads(3);
      grads[1] = Tensor::zeros(gamma.shape(), g.device());
      grads[2] = Tensor::zeros(gamma.shape(), g.device());
      grads[0] = kernels::batch_norm2d_backward_train(x, gamma, saved, g, grads[1], grads[2]);
      return grads;
    });
  }
  Tensor y = kernels::batch_norm2d_forward_eval(x, gamma, beta, running_mean, running_var, eps);
  // The running statistics are constants here; keep the values of this call.
  return record(y, "BatchNormEvalBackward", {x, gamma, beta},
                [x, gamma, mean = running_mean.clone(), var = running_var.clone(), eps](const Tensor& g) {
                  Grads grads(3);
                  grads[1] = Tensor::zeros(gamma.shape(), g.device());
                  grads[2] = Tensor::zeros(gamma.shape(), g.device());
                  grads[0] = kernels::batch_norm2d_backward_eval(x, gamma, mean, var, eps, g, grads[1], grads[2]);
                  return grads;
                });
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
                        int output_padding) {
  Tensor y = kernels::conv_transpose2d_forward(x, weight, bias, stride, padding, output_padding);
  const std::vector<bool> needs = autograd::input_needs_grad({x, weight, bias});
  const ConvTranspose2dShape s = kernels::conv_transpose2d_shape(x, weight, stride, padding, output_padding);
  Tensor x_saved = needs[1] ? x.detach() : Tensor(), w_saved = needs[0] ? weight.detach() : Tensor();
  return record(y, "ConvTranspose2dBackward", {x, weight, bias},
                [x = x_saved, weight = w_saved, needs, s](const Tensor& g) {
                  Grads grads(3);
                  if (needs[0]) grads[0] = kernels::conv_transpose2d_backward_data(s, g, weight);
                  if (needs[1]) {
                    grads[1] = Tensor::zeros({s.C_in, s.C_out, s.kH, s.kW}, g.device());
                    kernels::conv_transpose2d_backward_weight(s, x, g, grads[1]);
                  }
                  if (needs[2]) {
                    grads[2] = Tensor::zeros({s.C_out}, g.device());
                    kernels::conv_transpose2d_backward_bias(s, g, grads[2]);
                  }
                  return grads;
                });
}

Tensor upsample_nearest(const Tensor& x, int factor) {
  return record(kernels::upsample_nearest_forward(x, factor), "UpsampleNearestBackward", {x},
                [shape = x.shape()](const Tensor& g) { return Grads{kernels::upsample_nearest_backward(g, shape)}; });
}

Tensor upsample_bilinear(const Tensor& x, int64_t out_h, int64_t out_w) {
  return record(kernels::upsample_bilinear_forward(x, out_h, out_w), "UpsampleBilinearBackward", {x},
                [shape = x.shape()](const Tensor& g) { return Grads{kernels::upsample_bilinear_backward(g, shape)}; });
}

Tensor concat_channels(const std::vector<Tensor>& xs) {
  std::vector<int64_t> channels;
  for (const Tensor& x : xs) channels.push_back(x.defined() && x.ndim() == 4 ? x.size(1) : 0);
  return record(kernels::concat_channels(xs), "ConcatChannelsBackward", xs, [channels](const Tensor& g) {
    Grads grads;
    int64_t offset = 0;
    for (int64_t c : channels) {
      grads.push_back(kernels::slice_channels(g, offset, c));
      offset += c;
    }
    return grads;
  });
}

kernels::HeatmapTargets render_gaussian_heatmaps(const Tensor& coords, const Tensor& visibility, int64_t height,
                                                 int64_t width, float sigma) {
  return kernels::render_gaussian_heatmaps(coords, visibility, height, width, sigma);
}

Tensor crop_patches(const Tensor& images, const Tensor& patches, int64_t out_h, int64_t out_w, float fill) {
  // No gradient could reach such an input: refused, so that nobody trains through it unknowingly.
  auto refuse_grad = [](const Tensor& input, const char* role) {
    HM_CHECK(!(input.defined() && input.requires_grad()),
             "crop_patches: {} requires grad, but crop_patches has no backward (images and patch maps are data); "
             "pass {}.detach()",
             input.label(role), role);
  };
  refuse_grad(images, "images");
  refuse_grad(patches, "patches");
  return kernels::crop_patches(images, patches, out_h, out_w, fill);
}

Tensor soft_argmax(const Tensor& heatmaps, float beta) {
  Tensor coords = kernels::soft_argmax_forward(heatmaps, beta);
  return record(coords, "SoftArgmaxBackward", {heatmaps},
                [h = heatmaps.detach(), c = coords.detach(), beta](const Tensor& g) {
                  return Grads{kernels::soft_argmax_backward(h, c, g, beta)};
                });
}

Tensor weighted_mse(const Tensor& heatmaps, const Tensor& target, const Tensor& weight) {
  return record(kernels::weighted_mse_forward(heatmaps, target, weight), "WeightedMseBackward", {heatmaps},
                [h = heatmaps.detach(), target, weight](const Tensor& g) {
                  return Grads{kernels::weighted_mse_backward(h, target, weight, g)};
                });
}

Tensor weighted_l1(const Tensor& coords, const Tensor& truth, const Tensor& weight) {
  return record(kernels::weighted_l1_forward(coords, truth, weight), "WeightedL1Backward", {coords},
                [c = coords.detach(), truth, weight](const Tensor& g) {
                  return Grads{kernels::weighted_l1_backward(c, truth, weight, g)};
                });
}

LandmarkLoss landmark_loss(const Tensor& heatmaps, const Tensor& target, const Tensor& coords, const Tensor& truth,
                           const Tensor& weight, float heatmap_weight, float coordinate_weight) {
  LandmarkLoss loss;
  loss.heatmap = weighted_mse(heatmaps, target, weight);
  loss.coordinate = weighted_l1(coords, truth, weight);
  loss.total = add(scale(loss.heatmap, heatmap_weight), scale(loss.coordinate, coordinate_weight));
  return loss;
}

}  // namespace heatmark
