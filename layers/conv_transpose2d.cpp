#include "layers/conv_transpose2d.h"

#include <cmath>

#include "autograd/ops.h"

namespace heatmark {

ConvTranspose2d::ConvTranspose2d(const ConvTranspose2dOptions& o, Generator& gen)
    : stride(o.stride), padding(o.padding), output_padding(o.output_padding) {
  weight = Tensor::empty({o.in_channels, o.out_channels, o.kernel, o.kernel});
  const double fan_in = static_cast<double>(o.in_channels * o.kernel * o.kernel) / (o.stride * o.stride);
  normal_(weight, gen, 0.0f, static_cast<float>(std::sqrt(2.0 / std::max(fan_in, 1.0))));
  register_parameter("weight", &weight);
  if (o.bias) {
    bias = Tensor::zeros({o.out_channels});
    register_parameter("bias", &bias);
  }
}

Tensor ConvTranspose2d::forward(const Tensor& x) const {
  return conv_transpose2d(x, weight, bias, stride, padding, output_padding);
}

}  // namespace heatmark
