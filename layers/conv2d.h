// Conv2d layer: y = conv2d(x, weight, bias) with square kernel, stride and padding.
#pragma once

#include "layers/module.h"
#include "tensor/random.h"

namespace heatmark {

struct Conv2dOptions {
  int64_t in_channels, out_channels, kernel = 3;
  int stride = 1, padding = -1;  // -1: "same" padding, kernel / 2
  bool bias = true;
};

class Conv2d : public Module {
 public:
  // Weights are Kaiming-normal (fan_in, ReLU gain) from `gen`; the bias is zero.
  Conv2d(const Conv2dOptions& options, Generator& gen);
  Tensor forward(const Tensor& x) const;

  Tensor weight;  // (out_channels, in_channels, kernel, kernel)
  Tensor bias;    // (out_channels), undefined without bias
  int stride, padding;
};

}  // namespace heatmark
