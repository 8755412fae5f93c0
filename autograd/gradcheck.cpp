#include "autograd/gradcheck.h"

#include <cmath>

#include <fmt/format.h>

#include "base/error.h"

namespace heatmark::autograd {

std::vector<int64_t> gradcheck_indices(int64_t numel, int64_t max_points) {
  std::vector<int64_t> indices;
  if (numel <= max_points) {
    for (int64_t i = 0; i < numel; ++i) indices.push_back(i);
    return indices;
  }
  for (int64_t j = 0; j < max_points; ++j) indices.push_back(j * (numel - 1) / (max_points - 1));
  return indices;
}

namespace {
double dot(const DoubleVector& a, const DoubleVector& b) {
  HM_CHECK(a.size() == b.size(), "gradcheck: output has {} values but the seed has {}", a.size(), b.size());
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
}  // namespace

DoubleVector numerical_gradient(const DoubleFunction& f, std::vector<DoubleVector> inputs, const DoubleVector& seed,
                                size_t which, const std::vector<int64_t>& indices, double eps) {
  DoubleVector grad;
  grad.reserve(indices.size());
  for (int64_t i : indices) {
    double& x = inputs[which][i];
    const double original = x;
    x = original + eps;
    const double plus = dot(f(inputs), seed);
    x = original - eps;
    const double minus = dot(f(inputs), seed);
    x = original;
    grad.push_back((plus - minus) / (2 * eps));
  }
  return grad;
}

GradientComparison compare_gradients(const DoubleVector& analytic, const DoubleVector& numerical,
                                     const std::vector<int64_t>& indices, double atol, double rtol) {
  GradientComparison result;
  for (size_t j = 0; j < indices.size(); ++j) {
    const double a = analytic[indices[j]], n = numerical[j];
    const double error = std::abs(a - n) / (atol + rtol * std::abs(n));
    if (std::isnan(error) || error > result.worst) {
      result.worst = std::isnan(error) ? INFINITY : error;
      result.detail = fmt::format("element {}: analytic {:.9g}, numerical {:.9g}", indices[j], a, n);
    }
  }
  result.ok = result.worst <= 1.0;
  return result;
}

}  // namespace heatmark::autograd
