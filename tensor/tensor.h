// Tensor: a float32, contiguous, row-major (NCHW) array on a Device, with the
// bookkeeping autograd needs.
//
// A Tensor is a cheap handle: copies share the same data. Views (reshape,
// narrow along dim 0) share storage with their source. Use clone() for a deep
// copy.
//
// Autograd: a tensor that requires_grad() records the operations applied to it
// (see autograd/). Calling backward() on a scalar result fills grad() of every
// leaf tensor that requires grad.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/device.h"
#include "tensor/shape.h"

namespace heatmark {

namespace autograd {
struct Node;
}
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor; defined() is false

  // ---- creation ---------------------------------------------------------
  static Tensor empty(const Shape& shape, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, Device device = Device::cpu());
  static Tensor full(const Shape& shape, float value, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, Device device = Device::cpu()) { return full(shape, 1.0f, device); }
  // Copies `values` (numel of `shape` floats) into a new tensor.
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape,
                            Device device = Device::cpu());
  static Tensor scalar(float value, Device device = Device::cpu());

  // ---- properties -------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int ndim() const { return shape().ndim(); }
  int64_t size(int dim) const { return shape()[dim]; }
  int64_t numel() const { return shape().numel(); }
  Device device() const;

  // A human name used in error messages ("conv1.weight"); empty if unnamed.
  const std::string& name() const;
  Tensor& set_name(std::string name);
  // The name, or `fallback` when the tensor has none: "'conv1.weight'" or "input".
  std::string label(const std::string& fallback) const;

  // Raw element pointer: host memory for CPU tensors, device memory for CUDA.
  float* data();
  const float* data() const;

  // ---- copies and host access --------------------------------------------
  std::vector<float> to_vector() const;  // copies to the host
  float item() const;                    // the value of a one-element tensor
  Tensor to(Device device) const;        // a copy on `device` (or *this if already there)
  Tensor clone() const;                  // a deep copy on the same device, detached
  Tensor detach() const;                 // shares data, no autograd history
  void copy_from(const Tensor& source);  // same shape, any device; not recorded by autograd
  void fill(float value);                // not recorded by autograd

  // ---- views (share storage; recorded by autograd) ------------------------
  // These and backward() are defined in autograd/tensor_history.cpp: they
  // create graph nodes, which is autograd's business, not the tensor's.
  // A view with new dimensions of the same element count; one may be -1.
  Tensor reshape(std::vector<int64_t> dims) const;
  // Rows [start, start + length) along dimension 0: batch slicing.
  Tensor narrow(int64_t start, int64_t length) const;

  // ---- autograd ---------------------------------------------------------
  bool requires_grad() const;
  // Marks a leaf tensor as a parameter whose gradient is wanted.
  Tensor& set_requires_grad(bool enabled = true);
  bool is_leaf() const;
  // The accumulated gradient (undefined until a backward pass reaches it).
  Tensor grad() const;
  void zero_grad();  // drops the gradient
  // Backpropagates from this scalar tensor (seed 1), or from any tensor with an
  // explicit seed gradient of the same shape. The graph is released afterwards
  // unless retain_graph is true.
  void backward(bool retain_graph = false) const;
  void backward(const Tensor& seed, bool retain_graph = false) const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;

  // Internal: the shared implementation object.
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

 private:
  TensorImpl& checked_impl() const;
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace heatmark
