// Every registered op through the harness: forward parity against the double
// reference, the reference backward against central differences, and the
// backend backward against the reference backward, for every input.
#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "autograd/ops.h"
#include "base/error.h"
#include "cuda/info.h"
#include "cuda/sim/runtime.h"

#include "harness/op_harness.h"
#include "tests/support/environment.h"

using namespace heatmark;
using namespace heatmark::harness;

namespace {

void forward_parity(const char* op) {
  const OpFamily& f = family(op);
  REQUIRE(f.cases.size() >= 3);
  for (const Backend& backend : backends_for(f))
    for (const OpCase& c : f.cases) {
      INFO(c.describe(), " on ", backend.name());
      const CheckResult r = check_forward(c, backend);
      CHECK_MESSAGE(r.ok, r.message);
    }
}

void reference_gradients(const char* op) {
  for (const OpCase& c : family(op).cases) {
    INFO(c.describe());
    const CheckResult r = check_reference_gradients(c);
    CHECK_MESSAGE(r.ok, r.message);
  }
}

void backend_gradients(const char* op) {
  const OpFamily& f = family(op);
  for (const Backend& backend : backends_for(f))
    for (const OpCase& c : f.cases) {
      INFO(c.describe(), " on ", backend.name());
      const CheckResult r = check_backward(c, backend);
      CHECK_MESSAGE(r.ok, r.message);
    }
}

void deterministic(const char* op) {
  const OpFamily& f = family(op);
  for (const Backend& backend : backends_for(f))
    for (const OpCase& c : f.cases) {
      INFO(c.describe(), " on ", backend.name());
      const CheckResult r = check_deterministic(c, backend);
      CHECK_MESSAGE(r.ok, r.message);
    }
}

}  // namespace

// Differentiable ops: forward, gradients, determinism.
#define OP_TESTS(name)                                                                              \
  TEST_CASE("op harness: " name " forward matches the double CPU reference") {                      \
    forward_parity(name);                                                                           \
  }                                                                                                 \
  TEST_CASE("op harness: " name " reference backward matches central differences") {                \
    reference_gradients(name);                                                                      \
  }                                                                                                 \
  TEST_CASE("op harness: " name " backward of every input matches the reference") {                 \
    backend_gradients(name);                                                                        \
  }                                                                                                 \
  TEST_CASE("op harness: " name " forward and backward are bitwise deterministic") {                \
    deterministic(name);                                                                            \
  }

// Ops with no backward (targets are data; optimizers update in place).
#define FORWARD_OP_TESTS(name)                                                                      \
  TEST_CASE("op harness: " name " forward matches the double CPU reference") {                      \
    forward_parity(name);                                                                           \
  }                                                                                                 \
  TEST_CASE("op harness: " name " is bitwise deterministic") { deterministic(name); }

const char* const kTestedOps[] = {"add",    "mul",   "scale", "relu", "sum", "mean", "matmul", "conv2d",
                                  "batch_norm2d_train", "batch_norm2d_eval", "upsample_nearest",
                                  "upsample_bilinear", "concat_channels", "conv_transpose2d", "soft_argmax",
                                  "weighted_mse", "weighted_l1"};
const char* const kForwardOnlyOps[] = {"render_gaussian_heatmaps", "crop_patches", "adam", "adamw", "sgd",
                                       "gradient_norm"};

OP_TESTS("add")
OP_TESTS("mul")
OP_TESTS("scale")
OP_TESTS("relu")
OP_TESTS("sum")
OP_TESTS("mean")
OP_TESTS("matmul")
OP_TESTS("conv2d")
OP_TESTS("batch_norm2d_train")
OP_TESTS("batch_norm2d_eval")
OP_TESTS("upsample_nearest")
OP_TESTS("upsample_bilinear")
OP_TESTS("concat_channels")
OP_TESTS("conv_transpose2d")
OP_TESTS("soft_argmax")
OP_TESTS("weighted_mse")
OP_TESTS("weighted_l1")
FORWARD_OP_TESTS("render_gaussian_heatmaps")
FORWARD_OP_TESTS("crop_patches")
FORWARD_OP_TESTS("adam")
FORWARD_OP_TESTS("adamw")
FORWARD_OP_TESTS("sgd")
FORWARD_OP_TESTS("gradient_norm")

TEST_CASE("op harness: every registered op has its tests above") {
  std::set<std::string> differentiable, forward_only;
  for (const OpFamily& f : registry()) (f.cases.at(0).differentiable() ? differentiable : forward_only).insert(f.op);
  CHECK(differentiable == std::set<std::string>(std::begin(kTestedOps), std::end(kTestedOps)));
  CHECK(forward_only == std::set<std::string>(std::begin(kForwardOnlyOps), std::end(kForwardOnlyOps)));
}

TEST_CASE("op harness: with HEATMARK_REQUIRE_CUDA=1 the cuda backends fail without a GPU instead of being left out") {
  auto has_cuda = [](const std::vector<Backend>& all) {
    int found = 0;
    for (const Backend& b : all) found += b.device.is_cuda();
    return found;
  };
  {
    const testing::ScopedEnvironment not_required("HEATMARK_REQUIRE_CUDA", nullptr);
    CHECK(has_cuda(backends()) == (cuda::device_count() > 0 ? 2 : 0));
  }
  const testing::ScopedEnvironment required("HEATMARK_REQUIRE_CUDA", "1");
  if (cuda::device_count() > 0) {
    CHECK(has_cuda(backends()) == 2);
    CHECK(has_cuda(backends_for(family("conv2d"))) == 2);
  } else {
    CHECK_THROWS_WITH_AS(backends(), doctest::Contains("HEATMARK_REQUIRE_CUDA=1: the op harness's cuda backends cannot run"),
                         Error);
    CHECK_THROWS_WITH_AS(backends_for(family("relu")), doctest::Contains("HEATMARK_REQUIRE_CUDA=1"), Error);
  }
}

TEST_CASE("op harness: a wrong backward is caught") {
  // A conv2d whose registered op has a subtly wrong gradient (weight grad
  // scaled by 1.001) must fail the backend check: the harness is not blind.
  OpCase c = family("conv2d").cases[0];
  auto correct = c.reference_backward;
  c.reference_backward = [correct](const std::vector<DoubleVector>& in, const DoubleVector& g) {
    auto grads = correct(in, g);
    for (double& v : grads[1]) v *= 1.001;
    return grads;
  };
  CHECK_FALSE(check_backward(c, Backend{Device::cpu()}).ok);
  CHECK_FALSE(check_reference_gradients(c).ok);
}

TEST_CASE("op harness: wrong running statistics after a batch norm training step are caught") {
  // Batch norm's running mean and variance are part of its forward contract:
  // a reference that expects them 0.1 % off must fail every backend, and one
  // that expects them untouched (as if training had not updated them) too.
  for (const Backend& backend : backends_for(family("batch_norm2d_train"))) {
    INFO(backend.name());
    OpCase c = family("batch_norm2d_train").cases[0];
    REQUIRE(check_forward(c, backend).ok);
    const auto correct = c.reference_updates;
    c.reference_updates = [correct](const std::vector<DoubleVector>& in) {
      std::vector<DoubleVector> updated = correct(in);
      updated[1][0] *= 1.001;  // running_var of channel 0
      return updated;
    };
    const CheckResult off = check_forward(c, backend);
    CHECK_FALSE(off.ok);
    CHECK(off.message.find("'running_var' after the forward pass") != std::string::npos);
    c.reference_updates = [](const std::vector<DoubleVector>& in) { return std::vector<DoubleVector>{in[3], in[4]}; };
    CHECK_FALSE(check_forward(c, backend).ok);
  }
}

// The hand-written kernels: every __global__ function declared in
// cuda/kernels, found by the build (tests/CMakeLists.txt). Each must be
// reached by some op in the harness.
const char* const kHandWrittenKernels[] = {
#include "declared_kernels.inc"
};

TEST_CASE("op harness: every hand-written kernel runs under the emulator") {
  for (const OpFamily& f : registry()) {
    if (!f.gpu_kernels) continue;
    for (const OpCase& c : f.cases) {
      CHECK(check_forward(c, Backend{Device::emu()}).ok);
      if (c.differentiable()) CHECK(check_backward(c, Backend{Device::emu()}).ok);
    }
  }
  // The gradient plumbing autograd itself uses: zero-filled tensors, and
  // accumulation when a tensor feeds two inputs.
  Tensor x = Tensor::zeros({3, 5}, Device::emu());
  x.set_requires_grad(true);
  sum(add(x, x)).backward();
  CHECK(x.grad().to_vector() == std::vector<float>(15, 2.0f));

  // Kernel names without namespace and parameters, e.g. "relu_forward_kernel".
  std::set<std::string> emulated;
  std::ofstream list("emulated_kernels.txt");
  for (const sim::KernelRecord& r : sim::launched_kernels()) {
    if (!r.kernel.starts_with("heatmark::emu::")) continue;
    // "heatmark::emu::relu_forward_kernel(...)" -> "relu_forward_kernel", and a template
    // "heatmark::emu::implicit_gemm_kernel<heatmark::emu::ConvForwardProblem>(...)" -> "implicit_gemm_kernel".
    std::string name = r.kernel.substr(0, r.kernel.find_first_of("(<"));
    name = name.substr(std::string("heatmark::emu::").size());
    emulated.insert(name);
    list << r.kernel << "  launches " << r.launches << ", blocks " << r.blocks << ", threads " << r.threads << "\n";
  }
  const std::set<std::string> declared(std::begin(kHandWrittenKernels), std::end(kHandWrittenKernels));
  for (const std::string& name : declared)
    if (!emulated.count(name)) FAIL_CHECK("declared in cuda/kernels but never run under the emulator: " << name);
  for (const std::string& name : emulated)
    if (!declared.count(name)) FAIL_CHECK("run under the emulator but not found among the declarations: " << name);
  CHECK(emulated.size() == declared.size());
}
