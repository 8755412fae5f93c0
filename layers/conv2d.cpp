#include "layers/conv2d.h"

#include "autograd/ops.h"

namespace heatmark {

Conv2d::Conv2d(const Conv2dOptions& o, Generator& gen)
    : stride(o.stride), padding(o.padding >= 0 ? o.padding : static_cast<int>(o.kernel / 2)) {
  weight = Tensor::empty({o.out_channels, o.in_channels, o.kernel, o.kernel});
  kaiming_normal_(weight, gen);
  register_parameter("weight", &weight);
  if (o.bias) {
    bias = Tensor::zeros({o.out_channels});
    register_parameter("bias", &bias);
  }
}

Tensor Conv2d::forward(const Tensor& x) const { return conv2d(x, weight, bias, stride, padding); }

}  // namespace heatmark
