#include "tests/harness/op_harness.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "autograd/gradcheck.h"
#include "cuda/info.h"
#include "tensor/error.h"
#include "tensor/philox.h"

namespace heatmark::harness {

std::string OpCase::describe() const {
  std::string s = op;
  if (!params.empty()) s += " [" + params + "]";
  for (const InputSpec& in : inputs) s += " " + in.name + in.shape.str();
  return s;
}

const OpFamily& family(const std::string& op) {
  for (const OpFamily& f : registry())
    if (f.op == op) return f;
  fail("op harness: no op named '{}' is registered", op);
}

std::vector<Device> backends() {
  std::vector<Device> devices{Device::cpu(), Device::emu()};
  if (cuda::device_count() > 0) devices.push_back(Device::cuda(0));
  return devices;
}

std::vector<Device> backends_for(const OpFamily& family) {
  if (!family.gpu_kernels) return {Device::cpu()};
  return backends();
}

namespace {

// Values for input `index` of a case, from the seed. Each input gets its own
// Philox stream so adding an input never changes the others.
DoubleVector draw(const InputSpec& spec, uint64_t seed, uint64_t stream) {
  DoubleVector v(spec.shape.numel());
  for (int64_t i = 0; i < spec.shape.numel(); ++i) {
    const Philox4x32 w = philox_block(seed, static_cast<uint64_t>(i), stream);
    const float u = philox_uniform(w.v[0]), sign_u = philox_uniform(w.v[1]);
    float x = 0;
    switch (spec.init) {
      case Init::Uniform: x = 2.0f * u - 1.0f; break;
      case Init::AwayFromZero: x = (0.2f + 0.8f * u) * (sign_u < 0.5f ? -1.0f : 1.0f); break;
      case Init::Positive: x = 0.5f + u; break;
    }
    v[i] = static_cast<double>(x);  // exactly representable in float: both paths see the same values
  }
  return v;
}

std::vector<DoubleVector> draw_inputs(const OpCase& c, uint64_t seed) {
  std::vector<DoubleVector> values;
  for (size_t i = 0; i < c.inputs.size(); ++i) values.push_back(draw(c.inputs[i], seed, i));
  return values;
}

DoubleVector draw_output_gradient(int64_t numel, uint64_t seed) {
  return draw({"grad_output", Shape{numel}, false, Init::Uniform}, seed, 1000);
}

Tensor to_tensor(const DoubleVector& v, const Shape& shape, Device device) {
  std::vector<float> f(v.begin(), v.end());
  return Tensor::from_vector(f, shape, device);
}

DoubleVector to_doubles(const Tensor& t) {
  const std::vector<float> f = t.to_vector();
  return DoubleVector(f.begin(), f.end());
}

// sum((a - b)^2) / sum(b^2), with a floor on the denominator for all-zero references.
double normalised_error(const DoubleVector& a, const DoubleVector& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return num / std::max(den, 1e-30);
}

std::vector<Tensor> make_tensors(const OpCase& c, const std::vector<DoubleVector>& values, Device device,
                                 bool with_grad) {
  std::vector<Tensor> tensors;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    Tensor t = to_tensor(values[i], c.inputs[i].shape, device);
    t.set_name(c.inputs[i].name);
    if (with_grad && c.inputs[i].differentiable) t.set_requires_grad(true);
    tensors.push_back(t);
  }
  return tensors;
}

}  // namespace

CheckResult check_forward(const OpCase& c, Device device, uint64_t seed) {
  const std::vector<DoubleVector> inputs = draw_inputs(c, seed);
  const DoubleVector expected = c.reference(inputs);
  const Tensor y = c.run(make_tensors(c, inputs, device, false));
  if (y.numel() != static_cast<int64_t>(expected.size()))
    return {false, fmt::format("{} on {}: output has {} elements, reference {}", c.describe(), device.str(),
                               y.numel(), expected.size())};
  const double error = normalised_error(to_doubles(y), expected);
  if (!(error <= c.forward_tolerance))
    return {false, fmt::format("{} on {}: forward normalised error {:.3g} > tolerance {:.1g}", c.describe(),
                               device.str(), error, c.forward_tolerance)};
  return {};
}

CheckResult check_reference_gradients(const OpCase& c, uint64_t seed) {
  const std::vector<DoubleVector> inputs = draw_inputs(c, seed);
  const DoubleVector output = c.reference(inputs);
  const DoubleVector seed_grad = draw_output_gradient(static_cast<int64_t>(output.size()), seed);
  const std::vector<DoubleVector> analytic = c.reference_backward(inputs, seed_grad);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (!c.inputs[i].differentiable) continue;
    const std::vector<int64_t> indices = autograd::gradcheck_indices(c.inputs[i].shape.numel(), 48);
    const DoubleVector numerical = autograd::numerical_gradient(c.reference, inputs, seed_grad, i, indices);
    if (analytic[i].size() != static_cast<size_t>(c.inputs[i].shape.numel()))
      return {false, fmt::format("{}: reference backward gives {} values for '{}'", c.describe(),
                                 analytic[i].size(), c.inputs[i].name)};
    // The absolute tolerance scales with the gradient: central differences of
    // a large sum lose digits to cancellation.
    double scale = 1;
    for (double v : analytic[i]) scale = std::max(scale, std::abs(v));
    const autograd::GradientComparison cmp =
        autograd::compare_gradients(analytic[i], numerical, indices, 1e-7 * scale, 1e-6);
    if (!cmp.ok)
      return {false, fmt::format("{}: reference gradient of '{}' disagrees with central differences "
                                 "(error {:.3g}x tolerance at {})",
                                 c.describe(), c.inputs[i].name, cmp.worst, cmp.detail)};
  }
  return {};
}

CheckResult check_backward(const OpCase& c, Device device, uint64_t seed) {
  const std::vector<DoubleVector> inputs = draw_inputs(c, seed);
  std::vector<Tensor> tensors = make_tensors(c, inputs, device, true);
  const Tensor y = c.run(tensors);
  const DoubleVector seed_grad = draw_output_gradient(y.numel(), seed);
  y.backward(to_tensor(seed_grad, y.shape(), device));
  const std::vector<DoubleVector> expected = c.reference_backward(inputs, seed_grad);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (!c.inputs[i].differentiable) continue;
    if (!tensors[i].grad().defined())
      return {false, fmt::format("{} on {}: no gradient reached '{}'", c.describe(), device.str(), c.inputs[i].name)};
    const double error = normalised_error(to_doubles(tensors[i].grad()), expected[i]);
    if (!(error <= c.backward_tolerance))
      return {false, fmt::format("{} on {}: gradient of '{}' normalised error {:.3g} > tolerance {:.1g}",
                                 c.describe(), device.str(), c.inputs[i].name, error, c.backward_tolerance)};
  }
  return {};
}

PerfResult measure(const OpCase& c, Device device, int repeats) {
  using Clock = std::chrono::steady_clock;
  const std::vector<DoubleVector> inputs = draw_inputs(c, 1);
  std::vector<double> forward_ms, backward_ms;
  for (int r = 0; r < repeats + 1; ++r) {  // run 0 is the warm-up
    std::vector<Tensor> tensors = make_tensors(c, inputs, device, true);
    const auto t0 = Clock::now();
    const Tensor y = c.run(tensors);
    const auto t1 = Clock::now();
    y.backward(Tensor::ones(y.shape(), device));
    const auto t2 = Clock::now();
    if (r == 0) continue;
    forward_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    backward_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  PerfResult p;
  p.forward_ms = median(forward_ms);
  p.backward_ms = median(backward_ms);
  p.forward_gflops = c.flops / (p.forward_ms * 1e6);
  p.backward_gflops = 2 * c.flops / (p.backward_ms * 1e6);
  return p;
}

}  // namespace heatmark::harness
