// Shape: the dimensions of a tensor, outermost first (NCHW for images).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace heatmark {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::vector<int64_t> dims);

  int ndim() const { return static_cast<int>(dims_.size()); }
  // Dimension i; negative i counts from the end (-1 is the last).
  int64_t operator[](int i) const;
  int64_t numel() const { return numel_; }
  const std::vector<int64_t>& dims() const { return dims_; }

  bool operator==(const Shape& other) const { return dims_ == other.dims_; }
  bool operator!=(const Shape& other) const { return dims_ != other.dims_; }

  // "(2, 3, 64, 64)"
  std::string str() const;

 private:
  std::vector<int64_t> dims_;
  int64_t numel_ = 1;
};

}  // namespace heatmark
