#include "tensor/shape.h"

#include <limits>

#include "base/error.h"

namespace heatmark {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {
  numel_ = 1;
  for (int64_t d : dims_) {
    HM_CHECK(d >= 0, "shape {}: dimensions must be non-negative", str());
    HM_CHECK(d == 0 || numel_ <= std::numeric_limits<int64_t>::max() / d,
             "shape {}: element count overflows 64 bits", str());
    numel_ *= d;
  }
}

int64_t Shape::operator[](int i) const {
  const int n = ndim();
  const int index = i < 0 ? i + n : i;
  HM_CHECK(index >= 0 && index < n, "shape {}: dimension {} is out of range", str(), i);
  return dims_[index];
}

std::string Shape::str() const {
  std::string s = "(";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + ")";
}

}  // namespace heatmark
