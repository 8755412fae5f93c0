// Gradient checking by central differences, in double precision.
//
// A function f maps flat double inputs to a flat double output. The checked
// scalar is L = <f(inputs), seed> for a fixed seed vector, so one numerical
// derivative per input element,
//     dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps),
// verifies the whole vector-Jacobian product that a backward pass computes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace heatmark::autograd {

using DoubleVector = std::vector<double>;
using DoubleFunction = std::function<DoubleVector(const std::vector<DoubleVector>& inputs)>;

// The element indices checked for an input of `numel` elements: all of them,
// or `max_points` spread evenly (always including the first and last).
std::vector<int64_t> gradcheck_indices(int64_t numel, int64_t max_points);

// Numerical dL/dinputs[which] at `indices`.
DoubleVector numerical_gradient(const DoubleFunction& f, std::vector<DoubleVector> inputs,
                                const DoubleVector& seed, size_t which, const std::vector<int64_t>& indices,
                                double eps = 1e-6);

struct GradientComparison {
  bool ok = true;
  double worst = 0;    // largest |analytic - numerical| / (atol + rtol * |numerical|); ok when <= 1
  std::string detail;  // where the worst element is, with both values
};

// Compares analytic[indices[j]] with numerical[j] for every j.
GradientComparison compare_gradients(const DoubleVector& analytic, const DoubleVector& numerical,
                                     const std::vector<int64_t>& indices, double atol, double rtol);

}  // namespace heatmark::autograd
