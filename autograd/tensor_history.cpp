// The members of Tensor that record autograd history: the views reshape and
// narrow, and backward(). They are defined here, not in tensor/, so that the
// tensor library knows nothing of the graph: every Node is created in autograd/.
#include "autograd/node.h"
#include "base/error.h"
#include "tensor/tensor.h"
#include "tensor/tensor_impl.h"

namespace heatmark {

Tensor Tensor::reshape(std::vector<int64_t> dims) const {
  const Shape& from = shape();
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      HM_CHECK(inferred < 0, "reshape: {} of shape {}: only one dimension may be -1", label("tensor"), from.str());
      inferred = static_cast<int>(i);
    } else {
      HM_CHECK(dims[i] >= 0, "reshape: {}: negative dimension {} in the new shape", label("tensor"), dims[i]);
      known *= dims[i];
    }
  }
  if (inferred >= 0) {
    HM_CHECK(known > 0 && from.numel() % known == 0, "reshape: cannot infer the -1 dimension to view {} of shape {}",
             label("tensor"), from.str());
    dims[inferred] = from.numel() / known;
  }
  const Shape to_shape(dims);
  HM_CHECK(to_shape.numel() == from.numel(), "reshape: {} of shape {} ({} elements) cannot be viewed as {}",
           label("tensor"), from.str(), from.numel(), to_shape.str());
  Tensor out = alias(*this, 0, to_shape);
  return autograd::record(out, "ReshapeBackward", {*this},
                          [from](const Tensor& g) { return std::vector<Tensor>{g.reshape(from.dims())}; });
}

Tensor Tensor::narrow(int64_t start, int64_t length) const {
  const Shape& from = shape();
  HM_CHECK(from.ndim() >= 1, "narrow: {} is a scalar", label("tensor"));
  HM_CHECK(start >= 0 && length >= 0 && start + length <= from[0],
           "narrow: rows [{}, {}) are outside dimension 0 of {} with shape {}", start, start + length,
           label("tensor"), from.str());
  std::vector<int64_t> dims = from.dims();
  dims[0] = length;
  const int64_t row = from[0] == 0 ? 0 : from.numel() / from[0];
  Tensor out = alias(*this, start * row, Shape(dims));
  return autograd::record(out, "NarrowBackward", {*this}, [from, start, row](const Tensor& g) {
    Tensor gx = Tensor::zeros(from, g.device());
    Tensor rows = alias(gx, start * row, g.shape());
    rows.copy_from(g);
    return std::vector<Tensor>{gx};
  });
}

void Tensor::backward(bool retain_graph) const {
  HM_CHECK(numel() == 1,
           "backward(): {} has shape {}; backward without a seed gradient needs a one-element (scalar) output",
           label("the output"), shape().str());
  autograd::run_backward(*this, Tensor::full(shape(), 1.0f, device()), retain_graph);
}

void Tensor::backward(const Tensor& seed, bool retain_graph) const {
  autograd::run_backward(*this, seed, retain_graph);
}

}  // namespace heatmark
