// Every registered op through the harness: forward parity against the double
// reference, the reference backward against central differences, and the
// backend backward against the reference backward, for every input.
#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "autograd/ops.h"
#include "cuda/sim/runtime.h"

#include "tests/harness/op_harness.h"

using namespace heatmark;
using namespace heatmark::harness;

namespace {

void forward_parity(const char* op) {
  const OpFamily& f = family(op);
  REQUIRE(f.cases.size() >= 3);
  for (Device device : backends_for(f))
    for (const OpCase& c : f.cases) {
      INFO(c.describe(), " on ", device.str());
      const CheckResult r = check_forward(c, device);
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
  for (Device device : backends_for(f))
    for (const OpCase& c : f.cases) {
      INFO(c.describe(), " on ", device.str());
      const CheckResult r = check_backward(c, device);
      CHECK_MESSAGE(r.ok, r.message);
    }
}

}  // namespace

#define OP_TESTS(name)                                                                         \
  TEST_CASE("op " name ": forward matches the double CPU reference") { forward_parity(name); } \
  TEST_CASE("op " name ": reference backward matches central differences") { reference_gradients(name); } \
  TEST_CASE("op " name ": backward of every input matches the reference") { backend_gradients(name); }

const char* const kTestedOps[] = {"add",     "mul",    "scale",  "relu",  "sum",
                                  "mean",    "matmul", "conv2d", "batchnorm2d_train",
                                  "batchnorm2d_eval",  "upsample_nearest", "upsample_bilinear", "concat"};

OP_TESTS("add")
OP_TESTS("mul")
OP_TESTS("scale")
OP_TESTS("relu")
OP_TESTS("sum")
OP_TESTS("mean")
OP_TESTS("matmul")
OP_TESTS("conv2d")
OP_TESTS("batchnorm2d_train")
OP_TESTS("batchnorm2d_eval")
OP_TESTS("upsample_nearest")
OP_TESTS("upsample_bilinear")
OP_TESTS("concat")

TEST_CASE("op harness: every registered op has its tests above") {
  std::set<std::string> registered, tested(std::begin(kTestedOps), std::end(kTestedOps));
  for (const OpFamily& f : registry()) registered.insert(f.op);
  CHECK(registered == tested);
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
  CHECK_FALSE(check_backward(c, Device::cpu()).ok);
  CHECK_FALSE(check_reference_gradients(c).ok);
}

// The hand-written kernels, as the emulator names them. A kernel added to
// cuda/kernels must be added here and reached by some op in the harness.
const char* const kHandWrittenKernels[] = {
    "accumulate_kernel",
    "add_kernel",
    "broadcast_scalar_kernel",
    "copy_from_channels_kernel",
    "copy_into_channels_kernel",
    "fill_kernel",
    "gemm_tiled_kernel",
    "mul_backward_kernel",
    "mul_forward_kernel",
    "relu_backward_kernel",
    "relu_forward_kernel",
    "scale_kernel",
    "sum_chunks_kernel",
    "upsample_bilinear_backward_kernel",
    "upsample_bilinear_forward_kernel",
    "upsample_nearest_backward_kernel",
    "upsample_nearest_forward_kernel",
};

TEST_CASE("op harness: every hand-written kernel runs under the emulator") {
  for (const OpFamily& f : registry()) {
    if (!f.gpu_kernels) continue;
    for (const OpCase& c : f.cases) {
      CHECK(check_forward(c, Device::emu()).ok);
      CHECK(check_backward(c, Device::emu()).ok);
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
    std::string name = r.kernel.substr(0, r.kernel.find('('));
    name = name.substr(name.rfind("::") + 2);
    emulated.insert(name);
    list << r.kernel << "  launches " << r.launches << ", blocks " << r.blocks << ", threads " << r.threads << "\n";
  }
  const std::set<std::string> expected(std::begin(kHandWrittenKernels), std::end(kHandWrittenKernels));
  CHECK(emulated == expected);
}
