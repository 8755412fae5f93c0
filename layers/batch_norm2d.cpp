#include "layers/batch_norm2d.h"

#include "autograd/ops.h"

namespace heatmark {

BatchNorm2d::BatchNorm2d(int64_t channels, float momentum, float eps)
    : gamma(Tensor::ones({channels})),
      beta(Tensor::zeros({channels})),
      running_mean(Tensor::zeros({channels})),
      running_var(Tensor::ones({channels})),
      momentum(momentum),
      eps(eps) {
  register_parameter("weight", &gamma);  // PyTorch's names, for weight import
  register_parameter("bias", &beta);
  register_buffer("running_mean", &running_mean);
  register_buffer("running_var", &running_var);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  return batch_norm2d(x, gamma, beta, running_mean, running_var, is_training(), momentum, eps);
}

}  // namespace heatmark
