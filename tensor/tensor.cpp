#include "tensor/tensor.h"

#include "base/error.h"
#include "cuda/device_memory.h"
#include "tensor/kernels.h"
#include "tensor/tensor_impl.h"

namespace heatmark {

// ---- creation -----------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::allocate(sizeof(float) * static_cast<size_t>(shape.numel()), device);
  impl->shape = shape;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, Device device) { return full(shape, 0.0f, device); }

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  Tensor t = empty(shape, device);
  kernels::fill(t, value);
  return t;
}

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape, Device device) {
  HM_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "from_vector: {} values for shape {} ({} elements)",
           values.size(), shape.str(), shape.numel());
  Tensor t = empty(shape, device);
  device_copy(t.data(), device, values.data(), Device::cpu(), sizeof(float) * values.size());
  return t;
}

Tensor Tensor::scalar(float value, Device device) { return full(Shape{}, value, device); }

// ---- properties -----------------------------------------------------------------

TensorImpl& Tensor::checked_impl() const {
  HM_CHECK(impl_ != nullptr, "use of an undefined tensor");
  return *impl_;
}

const Shape& Tensor::shape() const { return checked_impl().shape; }
Device Tensor::device() const { return checked_impl().storage->device(); }
const std::string& Tensor::name() const { return checked_impl().name; }

Tensor& Tensor::set_name(std::string name) {
  checked_impl().name = std::move(name);
  return *this;
}

std::string Tensor::label(const std::string& fallback) const {
  if (impl_ && !impl_->name.empty()) return "'" + impl_->name + "'";
  return fallback;
}

float* Tensor::data() { return checked_impl().data(); }
const float* Tensor::data() const { return checked_impl().data(); }

// ---- copies -----------------------------------------------------------------------

std::vector<float> Tensor::to_vector() const {
  std::vector<float> values(numel());
  device_copy(values.data(), Device::cpu(), data(), device(), sizeof(float) * values.size());
  return values;
}

float Tensor::item() const {
  HM_CHECK(numel() == 1, "item(): {} has shape {}, not one element", label("tensor"), shape().str());
  return to_vector()[0];
}

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor t = empty(shape(), target);
  t.copy_from(*this);
  t.impl_->name = name();
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape(), device());
  t.copy_from(*this);
  return t;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = checked_impl().storage;
  impl->offset = impl_->offset;
  impl->shape = impl_->shape;
  impl->name = impl_->name;
  return Tensor(std::move(impl));
}

void Tensor::copy_from(const Tensor& source) { kernels::copy(*this, source); }

void Tensor::fill(float value) { kernels::fill(*this, value); }

// ---- autograd state (the graph itself is autograd/'s: reshape, narrow and backward are
// defined there) ------------------------------------------------------------------------

bool Tensor::requires_grad() const { return checked_impl().requires_grad; }

Tensor& Tensor::set_requires_grad(bool enabled) {
  HM_CHECK(is_leaf() || enabled, "set_requires_grad(false) on {}, the result of an operation; use detach()",
           label("a tensor"));
  checked_impl().requires_grad = enabled;
  return *this;
}

bool Tensor::is_leaf() const { return checked_impl().grad_fn == nullptr; }
Tensor Tensor::grad() const { return checked_impl().grad; }
void Tensor::zero_grad() { checked_impl().grad = Tensor(); }

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { return checked_impl().grad_fn; }

}  // namespace heatmark
