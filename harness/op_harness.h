// The generic op test harness (in the style of ggml's test-backend-ops).
//
// Every op is registered once (op_registry.cpp) as a family of cases: input
// shapes and parameters, a double-precision CPU reference forward and
// backward, and the op itself as a function of Tensors. The harness then runs,
// for each case:
//   forward parity   the op on a backend (float) against the double reference,
//                    and the inputs it updates in place (running statistics),
//   reference grads  the double reference backward against central differences
//                    of the double reference forward (catches formula errors),
//   backend grads    the op's autograd backward on a backend against the double
//                    reference backward, for every input and parameter,
//   perf             time and GFLOP/s of forward and backward on a backend.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/device.h"
#include "tensor/kernels.h"
#include "tensor/tensor.h"

namespace heatmark::harness {

using DoubleVector = std::vector<double>;

// How an input's values are drawn (all from the case seed).
enum class Init {
  Uniform,       // uniform in (low, high), by default (-1, 1)
  AwayFromZero,  // |v| in (0.2, 1) with random sign: safe for kinks at 0 (ReLU)
  Positive,      // uniform in (0.5, 1.5): scales, variances
  Mask,          // 1 with probability 3/4, else 0: visibility flags
};

struct InputSpec {
  std::string name;
  Shape shape;
  bool differentiable = true;
  Init init = Init::Uniform;
  double low = -1, high = 1;  // the Uniform range
};

struct OpCase {
  std::string op;      // family name, e.g. "conv2d"
  std::string params;  // e.g. "k3 s2 p1 bias"
  std::vector<InputSpec> inputs;
  // Ground truth on the CPU, in double: inputs -> flat output.
  std::function<DoubleVector(const std::vector<DoubleVector>&)> reference;
  // Ground truth backward: (inputs, output gradient) -> one gradient per input
  // (empty vectors for non-differentiable inputs).
  std::function<std::vector<DoubleVector>(const std::vector<DoubleVector>&, const DoubleVector&)> reference_backward;
  // The op under test, through autograd, on the device its inputs are on.
  std::function<Tensor(const std::vector<Tensor>&)> run;
  // Inputs the op updates in place (batch norm's running mean and variance),
  // and the reference values they must hold after one forward pass, checked
  // by check_forward like the output. Empty for most ops.
  std::vector<size_t> updated_inputs;
  std::function<std::vector<DoubleVector>(const std::vector<DoubleVector>&)> reference_updates;
  double flops = 0;  // of one forward pass, for perf mode

  // Normalised squared error allowed between the float backend and the double
  // reference: sum((a - b)^2) / sum(b^2).
  double forward_tolerance = 1e-10;
  double backward_tolerance = 1e-9;

  std::string describe() const;  // "conv2d [k3 s2 p1] x(2, 3, 7, 9) weight(5, 3, 3, 3)"
  bool differentiable() const;   // has any differentiable input (else forward-only: targets, optimizers)
};

struct OpFamily {
  std::string op;
  std::vector<OpCase> cases;       // small shapes, odd sizes: for the tests
  std::vector<OpCase> perf_cases;  // model-sized shapes: for perf mode
  bool gpu_kernels = true;         // has hand-written CUDA kernels (runs on emu and cuda)
  bool cpu_vendor = false;         // has a vendor path on the CPU (oneDNN; runs on "cpu vendor" too)
};

// A conv2d case of any shape (square kernel), as the registry makes them;
// `heatmark bench ops --model` builds the layers of a real model with it.
OpCase conv2d_case(int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t k, int stride, int pad,
                   bool bias);

// Every registered op.
const std::vector<OpFamily>& registry();
const OpFamily& family(const std::string& op);

// Where an op runs: a device, and which kernels (hand-written or vendor).
struct Backend {
  Device device;
  kernels::KernelProvider provider = kernels::KernelProvider::HandWritten;
  std::string name() const;  // "cpu", "cpu vendor", "emu", "cuda:0", "cuda:0 vendor"
  bool is_cpu_vendor() const { return device.is_cpu() && provider == kernels::KernelProvider::Vendor; }
};

// The backends present in this build and on this machine: cpu, cpu vendor
// when oneDNN loads, emu (the hand-written kernels under the emulator), and
// with a GPU cuda twice, with the hand-written and with the vendor kernels.
// Without a GPU but with HEATMARK_REQUIRE_CUDA=1 it throws heatmark::Error
// naming the variable: the cuda backends fail instead of being left out.
std::vector<Backend> backends();
// True when this build has oneDNN and it loads here (the cpu vendor backend).
bool cpu_vendor_available();
// The backends `family` runs on: the GPU-like ones only when it has
// hand-written CUDA kernels, cpu vendor only when it has a vendor path on the
// CPU (elsewhere it would run the hand-written CPU kernel a second time).
std::vector<Backend> backends_for(const OpFamily& family);

struct CheckResult {
  bool ok = true;
  std::string message;  // what failed, with figures; empty when ok
};

CheckResult check_forward(const OpCase& c, const Backend& backend, uint64_t seed = 1);
CheckResult check_reference_gradients(const OpCase& c, uint64_t seed = 1);
CheckResult check_backward(const OpCase& c, const Backend& backend, uint64_t seed = 1);
// Two runs on the same inputs give bitwise identical outputs and gradients.
CheckResult check_deterministic(const OpCase& c, const Backend& backend, uint64_t seed = 1);

struct PerfResult {
  double forward_ms = 0, backward_ms = 0;
  double forward_gflops = 0, backward_gflops = 0;  // backward counted as 2x the forward flops
};
// Median of `repeats` timed runs after one warm-up run. On a GPU, times come
// from CUDA events and every repeat starts with a flushed L2.
PerfResult measure(const OpCase& c, const Backend& backend, int repeats);

}  // namespace heatmark::harness
