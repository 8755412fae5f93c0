// HRNet: the architecture against the official parameter counts, the heads,
// model files, and importing timm's ImageNet weights.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "hrnet/model_file.h"
#include "hrnet/timm_import.h"
#include "tensor/random.h"
#include "tests/support/temp_dir.h"
#include "tests/support/timm_state_dict.h"

using namespace heatmark;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

namespace {

HRNetConfig small_config(HeadKind head, int64_t K = 3) {
  HRNetConfig c = hrnet_preset("hrnet_w18_small");
  c.head = head;
  c.num_landmarks = K;
  c.input_size = 64;
  return c;
}

Tensor random_input(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  Tensor x = Tensor::empty(shape);
  uniform_(x, gen, -1, 1);
  return x;
}
}  // namespace

TEST_CASE("hrnet: parameter counts match the official pose HRNet (K = 17, simple head)") {
  for (const auto& preset : {std::pair{"hrnet_w32", 28536113}, std::pair{"hrnet_w48", 63595745}}) {
    const char* name = preset.first;  // not a structured binding: INFO captures it (clang 14 refuses bindings)
    const int expected = preset.second;
    HRNetConfig c = hrnet_preset(name);
    c.use_imagenet_input();
    c.num_landmarks = 17;
    HRNet model(c);
    INFO(name);
    CHECK(model.parameter_count() == expected);
    int64_t by_part = 0;
    for (const auto& [part, count] : model.parameter_counts()) by_part += count;
    CHECK(by_part == expected);
  }
  // The small CPU model (timm's hrnet_w18_small layout) with two landmarks: 1.28 M.
  HRNetConfig small = hrnet_preset("hrnet_w18_small");
  small.use_imagenet_input();
  small.num_landmarks = 2;
  CHECK(HRNet(small).parameter_count() == 1284706);
}

TEST_CASE("hrnet: every head gives K heatmaps at a quarter of the input, on the CPU and emulated") {
  for (HeadKind head : {HeadKind::Simple, HeadKind::Concat, HeadKind::Deconv}) {
    HRNet model(small_config(head), 7);
    const Tensor x = random_input({1, 1, 64, 96}, 1);
    const Tensor cpu = model.forward(x);
    INFO("head ", head_name(head));
    CHECK(cpu.shape() == Shape{1, 3, 16, 24});
    model.to(Device::emu());
    const Tensor emu = model.forward(x.to(Device::emu()));
    const std::vector<float> a = cpu.to_vector(), b = emu.to_vector();
    double worst = 0, scale = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      worst = std::max(worst, double(std::abs(a[i] - b[i])));
      scale = std::max(scale, double(std::abs(a[i])));
    }
    CHECK(worst < 1e-4 * std::max(scale, 1.0));
  }
}

TEST_CASE("hrnet: clear errors for inputs the model cannot take") {
  HRNet model(small_config(HeadKind::Simple));
  CHECK_THROWS_WITH_AS(model.forward(Tensor::zeros({1, 3, 64, 64})), doctest::Contains("input must be (N, 1, H, W)"),
                       Error);
  CHECK_THROWS_WITH_AS(model.forward(Tensor::zeros({1, 1, 64, 70})), doctest::Contains("multiples of 32, got 64x70"),
                       Error);
  HRNetConfig bad = small_config(HeadKind::Simple);
  bad.stages[1].widths[0] = 17;
  CHECK_THROWS_WITH_AS(HRNet{bad}, doctest::Contains("branch 0 changes width from 16 in stage 2 to 17"), Error);
}

TEST_CASE("hrnet: model files: save -> load gives identical outputs, and the config travels in the file") {
  TempDir dir;
  for (HeadKind head : {HeadKind::Simple, HeadKind::Deconv}) {
    HRNetConfig c = small_config(head, 2);
    c.landmark_names = {"sella", "nasion"};
    HRNet model(c, 3);
    const Tensor x = random_input({1, 1, 64, 64}, 2);
    model.forward(x);  // one training-mode step moves the running statistics off their defaults
    model.eval();
    const std::vector<float> before = model.forward(x).to_vector();
    save_model(model, dir / "m.safetensors");
    std::unique_ptr<HRNet> loaded = load_model(dir / "m.safetensors");
    loaded->eval();
    CHECK(loaded->forward(x).to_vector() == before);
    CHECK(loaded->config().landmark_names == c.landmark_names);
    CHECK(loaded->config().head == head);
  }
}

TEST_CASE("hrnet: model files: the wrong architecture or a foreign file is refused with the tensor named") {
  TempDir dir;
  HRNet model(small_config(HeadKind::Simple, 2));
  save_model(model, dir / "m.safetensors");
  const SafetensorsFile file = SafetensorsFile::read(dir / "m.safetensors");
  HRNet other(small_config(HeadKind::Simple, 5));
  CHECK_THROWS_WITH_AS(load_state(other, file), doctest::Contains("'head.final.weight' has shape (2, 16, 1, 1) but the model expects (5, 16, 1, 1)"),
                       Error);
  HRNet concat(small_config(HeadKind::Concat, 2));
  CHECK_THROWS_WITH_AS(load_state(concat, file), doctest::Contains("is missing (the file is for another architecture?)"),
                       Error);
  write_safetensors(dir / "plain.safetensors", {{"w", Tensor::ones({2})}}, {});
  CHECK_THROWS_WITH_AS(load_model(dir / "plain.safetensors"), doctest::Contains("not a heatmark model file"), Error);
  write_safetensors(dir / "badcfg.safetensors", {{"w", Tensor::ones({2})}},
                    {{"format", kModelFormat}, {"heatmark.config", "{\"name\": 3}"}});
  CHECK_THROWS_WITH_AS(load_model(dir / "badcfg.safetensors"), doctest::Contains("badcfg.safetensors: model config"), Error);
}

TEST_CASE("hrnet: timm import: every backbone tensor is matched by name, and the ImageNet head is skipped") {
  TempDir dir;
  HRNetConfig c = hrnet_preset("hrnet_w18_small");
  c.use_imagenet_input();
  c.num_landmarks = 2;
  testing::write_timm_file(dir / "timm.safetensors", c, 42);
  HRNet model(c);
  const ImportReport report = import_timm(model, dir / "timm.safetensors");
  INFO(report.summary());
  CHECK(report.complete());
  CHECK(report.mismatched.empty());
  CHECK(report.missing == std::vector<std::string>{"head.final.bias", "head.final.weight"});
  // Every model tensor except the head came from the file ...
  CHECK(report.matched.size() == state_tensors(model).size() - 2);
  // ... and the file's other tensors were skipped: the classification head,
  // the counters, and the fusions of the last module a simple head does not use.
  const auto timm = testing::timm_state_dict(c);
  CHECK(report.matched.size() + report.skipped.size() == timm.size());
  int head = 0, counters = 0, unused_fusions = 0;
  for (const std::string& name : report.skipped) {
    if (name.ends_with("num_batches_tracked")) ++counters;
    else if (name.starts_with("stage4.0.fuse_layers.")) ++unused_fusions;
    else if (name.starts_with("incre_modules") || name.starts_with("downsamp_modules") ||
             name.starts_with("final_layer") || name.starts_with("classifier")) ++head;
    else FAIL("unexpected skipped tensor " << name);
  }
  CHECK(counters > 0);
  CHECK(unused_fusions > 0);
  CHECK(head > 0);
  // The values arrived.
  const SafetensorsFile file = SafetensorsFile::read(dir / "timm.safetensors");
  CHECK(model.named_parameters().front().second->to_vector() == file.tensor("conv1.weight").to_vector());

  // A multi-output head uses those fusions too.
  HRNetConfig concat = c;
  concat.head = HeadKind::Concat;
  HRNet concat_model(concat);
  const ImportReport concat_report = import_timm(concat_model, dir / "timm.safetensors");
  CHECK(concat_report.complete());
  CHECK(concat_report.matched.size() > report.matched.size());
}

TEST_CASE("hrnet: timm import: a file for another width is reported as mismatched, not silently half-loaded") {
  TempDir dir;
  HRNetConfig w18 = hrnet_preset("hrnet_w18");
  w18.use_imagenet_input();
  testing::write_timm_file(dir / "w18.safetensors", w18, 1);
  HRNetConfig small = hrnet_preset("hrnet_w18_small");
  small.use_imagenet_input();
  HRNet model(small);
  const ImportReport report = import_timm(model, dir / "w18.safetensors");
  CHECK_FALSE(report.complete());
  CHECK_FALSE(report.mismatched.empty());
  CHECK(report.summary().find("shape-mismatched") != std::string::npos);
}
