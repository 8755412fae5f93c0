// BatchNorm2d layer: per-channel normalisation with learned gamma and beta and
// running statistics for eval (PyTorch conventions: momentum 0.1, eps 1e-5).
#pragma once

#include "layers/module.h"

namespace heatmark {

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, float momentum = 0.1f, float eps = 1e-5f);
  // Uses batch statistics (and updates the running ones) in training mode,
  // the running statistics in eval mode.
  Tensor forward(const Tensor& x);

  Tensor gamma, beta;                 // parameters (C): ones, zeros
  Tensor running_mean, running_var;   // buffers (C): zeros, ones
  float momentum, eps;
};

}  // namespace heatmark
