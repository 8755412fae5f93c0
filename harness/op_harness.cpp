#include "harness/op_harness.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "autograd/gradcheck.h"
#include "cuda/info.h"
#if HEATMARK_HAS_CUDA
#include "cuda/runtime/timing.h"
#include "cuda/vendor/vendor.h"
#endif
#include "base/error.h"
#include "tensor/cpu/vendor/onednn.h"
#include "tensor/philox.h"

namespace heatmark::harness {

std::string OpCase::describe() const {
  std::string s = op;
  if (!params.empty()) s += " [" + params + "]";
  for (const InputSpec& in : inputs) s += " " + in.name + in.shape.str();
  return s;
}

bool OpCase::differentiable() const {
  for (const InputSpec& in : inputs)
    if (in.differentiable) return true;
  return false;
}

const OpFamily& family(const std::string& op) {
  for (const OpFamily& f : registry())
    if (f.op == op) return f;
  fail("op harness: no op named '{}' is registered", op);
}

std::string Backend::name() const {
  return device.str() + (!device.is_emu() && provider == kernels::KernelProvider::Vendor ? " vendor" : "");
}

bool cpu_vendor_available() {
  try {
    onednn::version();
    return true;
  } catch (const Error&) {
    return false;  // not built in, or the library is missing: tests/tensor/test_onednn.cpp says which
  }
}

std::vector<Backend> backends() {
  std::vector<Backend> all{{Device::cpu()}};
  if (cpu_vendor_available()) all.push_back({Device::cpu(), kernels::KernelProvider::Vendor});
  all.push_back({Device::emu()});
  const bool required = cuda::cuda_required();
  if (cuda::device_count() > 0) {
    all.push_back({Device::cuda(0), kernels::KernelProvider::HandWritten});
#if HEATMARK_HAS_CUDA
    // Not in a build without cuDNN's headers (tests/cuda/test_devices.cpp checks that it says so).
    if (vendor::built_in()) all.push_back({Device::cuda(0), kernels::KernelProvider::Vendor});
#endif
  } else {
    // A run meant for the GPU must not pass on the other backends alone.
    HM_CHECK(!required, "HEATMARK_REQUIRE_CUDA=1: the op harness's cuda backends cannot run: {}",
             cuda::device_summary());
  }
  return all;
}

std::vector<Backend> backends_for(const OpFamily& family) {
  std::vector<Backend> out;
  for (const Backend& b : backends()) {
    if (b.is_cpu_vendor() ? family.cpu_vendor : b.device.is_cpu() || family.gpu_kernels) out.push_back(b);
  }
  return out;
}

namespace {

// Selects the backend's kernels while alive; vendor kernels run in plain fp32
// (no TF32) so that they can be held to the same tolerances.
class BackendScope {
 public:
  explicit BackendScope(const Backend& b) : previous_(kernels::kernel_provider()) {
    kernels::set_kernel_provider(b.provider);
#if HEATMARK_HAS_CUDA
    previous_tf32_ = vendor::allow_tf32();
    vendor::set_allow_tf32(false);
#endif
  }
  ~BackendScope() {
    kernels::set_kernel_provider(previous_);
#if HEATMARK_HAS_CUDA
    vendor::set_allow_tf32(previous_tf32_);
#endif
  }

 private:
  kernels::KernelProvider previous_;
  bool previous_tf32_ = true;
};

// Values for input `index` of a case, from the seed. Each input gets its own
// Philox stream so adding an input never changes the others.
DoubleVector draw(const InputSpec& spec, uint64_t seed, uint64_t stream) {
  DoubleVector v(spec.shape.numel());
  for (int64_t i = 0; i < spec.shape.numel(); ++i) {
    const Philox4x32 w = philox_block(seed, static_cast<uint64_t>(i), stream);
    const float u = philox_uniform(w.v[0]), sign_u = philox_uniform(w.v[1]);
    float x = 0;
    switch (spec.init) {
      case Init::Uniform: x = static_cast<float>(spec.low + (spec.high - spec.low) * u); break;
      case Init::AwayFromZero: x = (0.2f + 0.8f * u) * (sign_u < 0.5f ? -1.0f : 1.0f); break;
      case Init::Positive: x = 0.5f + u; break;
      case Init::Mask: x = u < 0.75f ? 1.0f : 0.0f; break;
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

CheckResult check_forward(const OpCase& c, const Backend& backend, uint64_t seed) {
  const BackendScope scope(backend);
  const Device device = backend.device;
  const std::vector<DoubleVector> inputs = draw_inputs(c, seed);
  const DoubleVector expected = c.reference(inputs);
  const std::vector<Tensor> tensors = make_tensors(c, inputs, device, false);
  const Tensor y = c.run(tensors);
  if (y.numel() != static_cast<int64_t>(expected.size()))
    return {false, fmt::format("{} on {}: output has {} elements, reference {}", c.describe(), backend.name(),
                               y.numel(), expected.size())};
  const double error = normalised_error(to_doubles(y), expected);
  if (!(error <= c.forward_tolerance))
    return {false, fmt::format("{} on {}: forward normalised error {:.3g} > tolerance {:.1g}", c.describe(),
                               backend.name(), error, c.forward_tolerance)};
  if (!c.updated_inputs.empty()) {
    const std::vector<DoubleVector> updated = c.reference_updates(inputs);
    HM_CHECK(updated.size() == c.updated_inputs.size(), "op harness: {} lists {} updated inputs, its reference gives {}",
             c.describe(), c.updated_inputs.size(), updated.size());
    for (size_t u = 0; u < updated.size(); ++u) {
      const size_t i = c.updated_inputs[u];
      const double update_error = normalised_error(to_doubles(tensors[i]), updated[u]);
      if (!(update_error <= c.forward_tolerance))
        return {false, fmt::format("{} on {}: '{}' after the forward pass: normalised error {:.3g} > tolerance {:.1g}",
                                   c.describe(), backend.name(), c.inputs[i].name, update_error, c.forward_tolerance)};
    }
  }
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

CheckResult check_backward(const OpCase& c, const Backend& backend, uint64_t seed) {
  const BackendScope scope(backend);
  const Device device = backend.device;
  const std::vector<DoubleVector> inputs = draw_inputs(c, seed);
  std::vector<Tensor> tensors = make_tensors(c, inputs, device, true);
  const Tensor y = c.run(tensors);
  const DoubleVector seed_grad = draw_output_gradient(y.numel(), seed);
  y.backward(to_tensor(seed_grad, y.shape(), device));
  const std::vector<DoubleVector> expected = c.reference_backward(inputs, seed_grad);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (!c.inputs[i].differentiable) continue;
    if (!tensors[i].grad().defined())
      return {false, fmt::format("{} on {}: no gradient reached '{}'", c.describe(), backend.name(), c.inputs[i].name)};
    const double error = normalised_error(to_doubles(tensors[i].grad()), expected[i]);
    if (!(error <= c.backward_tolerance))
      return {false, fmt::format("{} on {}: gradient of '{}' normalised error {:.3g} > tolerance {:.1g}",
                                 c.describe(), backend.name(), c.inputs[i].name, error, c.backward_tolerance)};
  }
  return {};
}

CheckResult check_deterministic(const OpCase& c, const Backend& backend, uint64_t seed) {
  const BackendScope scope(backend);
  const Device device = backend.device;
  const std::vector<DoubleVector> inputs = draw_inputs(c, seed);
  // Everything one run produces, as raw floats: the output, then each input's
  // gradient, then each input's final value (optimizers update in place).
  auto run_once = [&] {
    std::vector<Tensor> tensors = make_tensors(c, inputs, device, c.differentiable());
    const Tensor y = c.run(tensors);
    std::vector<float> all = y.to_vector();
    if (y.requires_grad()) {
      y.backward(to_tensor(draw_output_gradient(y.numel(), seed), y.shape(), device));
      for (const Tensor& t : tensors)
        if (t.grad().defined()) {
          const std::vector<float> g = t.grad().to_vector();
          all.insert(all.end(), g.begin(), g.end());
        }
    }
    for (const Tensor& t : tensors) {
      const std::vector<float> v = t.to_vector();
      all.insert(all.end(), v.begin(), v.end());
    }
    return all;
  };
  const std::vector<float> first = run_once(), second = run_once();
  if (first.size() != second.size() ||
      std::memcmp(first.data(), second.data(), first.size() * sizeof(float)) != 0)
    return {false, fmt::format("{} on {}: two runs on the same inputs differ", c.describe(), backend.name())};
  return {};
}

PerfResult measure(const OpCase& c, const Backend& backend, int repeats) {
  const BackendScope scope(backend);
  const Device device = backend.device;
  using Clock = std::chrono::steady_clock;
  const std::vector<DoubleVector> inputs = draw_inputs(c, 1);
  std::vector<double> forward_ms, backward_ms;
  for (int r = 0; r < repeats + 1; ++r) {  // run 0 is the warm-up
    std::vector<Tensor> tensors = make_tensors(c, inputs, device, true);
    double forward = 0, backward = 0;
#if HEATMARK_HAS_CUDA
    if (device.is_cuda()) {
      // GPU time from events; each repeat starts with a cold L2, as in a model.
      cuda::EventTimer forward_timer, backward_timer;
      cuda::flush_l2();
      forward_timer.start();
      const Tensor y = c.run(tensors);
      forward_timer.stop();
      backward_timer.start();
      if (y.requires_grad()) y.backward(Tensor::ones(y.shape(), device));
      backward_timer.stop();
      forward = forward_timer.milliseconds();
      backward = backward_timer.milliseconds();
    } else
#endif
    {
      const auto t0 = Clock::now();
      const Tensor y = c.run(tensors);
      const auto t1 = Clock::now();
      if (y.requires_grad()) y.backward(Tensor::ones(y.shape(), device));
      const auto t2 = Clock::now();
      forward = std::chrono::duration<double, std::milli>(t1 - t0).count();
      backward = std::chrono::duration<double, std::milli>(t2 - t1).count();
    }
    if (r == 0) continue;
    forward_ms.push_back(forward);
    backward_ms.push_back(backward);
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
