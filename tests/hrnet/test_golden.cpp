// HRNet against PyTorch: forward, backward and running statistics of a tiny
// HRNet with fixed weights must match tests/golden/hrnet_tiny.safetensors
// (made by tools/make_hrnet_golden.py), on the CPU and emulated.
//
// Tolerance: each tensor within 1e-4 of its largest magnitude (both sides
// compute in float32 with different summation orders; batch norm over the
// 2x3-pixel lowest branch amplifies rounding the most).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "hrnet/hrnet.h"
#include "tensor/safetensors.h"

using namespace heatmark;

namespace {

const char* const kGolden = HEATMARK_SOURCE_DIR "/tests/golden/hrnet_tiny.safetensors";

// max |a - b| / max |b|
double relative_error(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector(), y = b.to_vector();
  REQUIRE(x.size() == y.size());
  double worst = 0, scale = 1e-12;
  for (size_t i = 0; i < x.size(); ++i) {
    worst = std::max(worst, double(std::abs(x[i] - y[i])));
    scale = std::max(scale, double(std::abs(y[i])));
  }
  return worst / scale;
}

void check_against_pytorch(const std::string& head, Device device) {
  const SafetensorsFile golden = SafetensorsFile::read(kGolden);
  const HRNetConfig config = config_from_json(nlohmann::json::parse(golden.metadata(head + ".config")));
  HRNet model(config);
  for (auto& [name, t] : model.named_parameters()) t->copy_from(golden.tensor(head + ".weights." + name));
  for (auto& [name, t] : model.named_buffers()) t->copy_from(golden.tensor(head + ".weights." + name));
  model.to(device);
  model.train();

  Tensor x = golden.tensor("input").to(device);
  x.set_requires_grad(true);
  const Tensor y = model.forward(x);
  CHECK(relative_error(y, golden.tensor(head + ".output")) < 1e-4);
  y.backward(golden.tensor(head + ".seed").to(device));
  CHECK(relative_error(x.grad(), golden.tensor(head + ".grad.input")) < 1e-4);

  int gradients = 0, statistics = 0;
  const std::string grad_prefix = head + ".grad.", after_prefix = head + ".after.";
  for (auto& parameter : model.named_parameters()) {
    const std::string& name = parameter.first;  // not a structured binding: INFO captures it (clang 14 refuses bindings)
    Tensor* t = parameter.second;
    if (!golden.contains(grad_prefix + name)) continue;
    INFO("gradient of ", name);
    CHECK(relative_error(t->grad(), golden.tensor(grad_prefix + name)) < 1e-4);
    ++gradients;
  }
  for (auto& buffer : model.named_buffers()) {
    const std::string& name = buffer.first;
    Tensor* t = buffer.second;
    if (!golden.contains(after_prefix + name)) continue;
    INFO("running statistic ", name);
    CHECK(relative_error(*t, golden.tensor(after_prefix + name)) < 1e-5);
    ++statistics;
  }
  CHECK(gradients >= 15);
  CHECK(statistics == 6);
}

}  // namespace

TEST_CASE("golden: HRNet with the simple head matches PyTorch, forward and backward, on the CPU") {
  check_against_pytorch("simple", Device::cpu());
}

TEST_CASE("golden: HRNet with the concat head matches PyTorch, forward and backward, on the CPU") {
  check_against_pytorch("concat", Device::cpu());
}

TEST_CASE("golden: HRNet matches PyTorch with the hand-written kernels under the emulator") {
  check_against_pytorch("simple", Device::emu());
  check_against_pytorch("concat", Device::emu());
}
