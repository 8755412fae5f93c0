// ConvTranspose2d layer (PyTorch's layout): weight (in_channels, out_channels,
// kernel, kernel); with kernel 4, stride 2, padding 1 it doubles H and W.
#pragma once

#include "layers/module.h"
#include "tensor/random.h"

namespace heatmark {

struct ConvTranspose2dOptions {
  int64_t in_channels, out_channels, kernel = 4;
  int stride = 2, padding = 1, output_padding = 0;
  bool bias = true;
};

class ConvTranspose2d : public Module {
 public:
  // Weights are Kaiming-normal over the taps that feed one output pixel
  // (in_channels * kernel^2 / stride^2); the bias is zero.
  ConvTranspose2d(const ConvTranspose2dOptions& options, Generator& gen);
  Tensor forward(const Tensor& x) const;

  Tensor weight;  // (in_channels, out_channels, kernel, kernel)
  Tensor bias;    // (out_channels), undefined without bias
  int stride, padding, output_padding;
};

}  // namespace heatmark
