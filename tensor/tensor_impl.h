// TensorImpl: the state behind a Tensor handle. Only tensor/ and autograd/
// include this header.
#pragma once

#include <memory>
#include <string>

#include "tensor/storage.h"
#include "tensor/tensor.h"

namespace heatmark {

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements, for views
  Shape shape;
  std::string name;

  // Autograd state.
  bool requires_grad = false;
  std::shared_ptr<autograd::Node> grad_fn;  // null for leaves
  Tensor grad;                               // accumulated in backward, leaves only

  float* data() const { return static_cast<float*>(storage->data()) + offset; }
};

// A tensor sharing `base`'s storage from element `offset`, with `shape`: the
// primitive behind every view.
inline Tensor alias(const Tensor& base, int64_t offset, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->offset = base.impl()->offset + offset;
  impl->shape = shape;
  impl->name = base.name();
  return Tensor(std::move(impl));
}

}  // namespace heatmark
