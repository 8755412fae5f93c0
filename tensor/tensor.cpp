#include "tensor/tensor.h"

#include "autograd/node.h"
#include "cuda/device_memory.h"
#include "tensor/error.h"
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

// ---- views ------------------------------------------------------------------------

namespace {
// A tensor sharing `base`'s storage from element `offset`, with `shape`.
Tensor alias(const Tensor& base, int64_t offset, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->offset = base.impl()->offset + offset;
  impl->shape = shape;
  impl->name = base.name();
  return Tensor(std::move(impl));
}
}  // namespace

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

// ---- autograd ------------------------------------------------------------------------

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

void Tensor::backward(bool retain_graph) const {
  HM_CHECK(numel() == 1,
           "backward(): {} has shape {}; backward without a seed gradient needs a one-element (scalar) output",
           label("the output"), shape().str());
  autograd::run_backward(*this, Tensor::full(shape(), 1.0f, device()), retain_graph);
}

void Tensor::backward(const Tensor& seed, bool retain_graph) const {
  autograd::run_backward(*this, seed, retain_graph);
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { return checked_impl().grad_fn; }

}  // namespace heatmark
