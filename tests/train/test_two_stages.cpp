// Two stages in one run (--refine) and stage 2 alone (--refine-from): the
// budget is shared as configured, one model file holds both stages, which
// --stages 1 and --stages 2 both load, and the Detector repeats what
// validation found for both stages.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "hrnet/model_file.h"
#include "infer/detector.h"
#include "tensor/safetensors.h"
#include "tests/support/temp_dir.h"
#include "tests/support/training_runs.h"
#include "train/checkpoint.h"
#include "train/synth.h"
#include "train/trainer.h"

using namespace heatmark;
using heatmark::testing::TempDir;
using heatmark::testing::NullLog;
using heatmark::testing::predictions_of;
using heatmark::testing::counter_clock;
using heatmark::testing::state_of;
using heatmark::testing::tensors_of;
namespace fs = std::filesystem;

namespace {

TrainConfig two_stage_config(const std::string& data, const std::string& out) {
  TrainConfig c;
  c.data = data;
  c.out = out;
  c.input_size = 64;
  c.batch = 4;
  c.val_fraction = 0.25;
  c.seed = 3;
  c.time_budget = 40;
  c.refine = true;
  c.refine_size = 32;
  return c;
}
}  // namespace

TEST_CASE("two stages: --refine shares the budget, and --stages 1 and 2 both load from one model file") {
  TempDir dir;
  synthesize_dataset({dir / "data", 16, 64, 2, 9});
  NullLog log;
  const TrainConfig c = two_stage_config(dir / "data", dir / "run");
  const TrainSummary s = train(c, {}, log.file, counter_clock());
  // Stage 1 got three quarters of the budget, stage 2 the rest.
  const TrainerState first = state_of(dir / "run/last.safetensors"), second = state_of(dir / "run/refine/last.safetensors");
  CHECK(first.seconds_spent <= 30);
  CHECK(first.seconds_spent > 25);
  CHECK(s.seconds_spent <= 40);
  CHECK(s.seconds_spent == first.seconds_spent + second.seconds_spent);
  CHECK(s.stage1.images == 4);
  CHECK(s.best.images == 4);

  // One file, both stages.
  double scale = 0;
  const std::unique_ptr<HRNet> refiner = load_refiner(dir / "run/best.safetensors", scale);
  REQUIRE(refiner);
  CHECK(scale == doctest::Approx(1.0));  // the images' own resolution: 64 px into a 64 px input
  CHECK(refiner->config().input_size == InputSize(32));
  CHECK(load_model(dir / "run/best.safetensors")->config().input_size == InputSize(64));
  Detector one(dir / "run/best.safetensors", Device::cpu(), Decoder::SoftArgmax, 1);
  Detector two(dir / "run/best.safetensors", Device::cpu(), Decoder::SoftArgmax, 2);
  CHECK_FALSE(one.refines());
  CHECK(two.refines());

  // Each stage's Detector repeats what its validation found (val_predictions.csv of each run folder).
  const auto stage1 = predictions_of(dir / "run/val_predictions.csv");
  const auto stage2 = predictions_of(dir / "run/refine/val_predictions.csv");
  REQUIRE(stage1.size() == 4);
  REQUIRE(stage2.size() == 4);
  bool refined_moved = false;
  for (const auto& entry : stage2) {
    const std::string& image = entry.first;  // not a structured binding: INFO captures it (clang 14 refuses bindings)
    const auto& points = entry.second;
    const Image im = load_image(dir / ("data/" + image));
    const std::vector<Landmark> a = one.predict(im), b = two.predict(im);
    for (size_t k = 0; k < 2; ++k) {
      INFO(image, " landmark ", k);
      CHECK(a[k].x == doctest::Approx(stage1.at(image)[k].x).epsilon(1e-3));
      CHECK(a[k].y == doctest::Approx(stage1.at(image)[k].y).epsilon(1e-3));
      CHECK(b[k].x == doctest::Approx(points[k].x).epsilon(1e-3));
      CHECK(b[k].y == doctest::Approx(points[k].y).epsilon(1e-3));
      refined_moved = refined_moved || std::abs(a[k].x - b[k].x) > 1e-3;
    }
  }
  CHECK(refined_moved);  // stage 2 did something
  CHECK(two.timing().refine_seconds > 0);
  CHECK(one.timing().refine_seconds == 0);
}

TEST_CASE("two stages: --refine-from trains stage 2 alone on a stage-1 model, and refuses a mismatched one") {
  TempDir dir;
  synthesize_dataset({dir / "data", 16, 64, 2, 10});
  NullLog log;
  TrainConfig stage1 = two_stage_config(dir / "data", dir / "coarse");
  stage1.refine = false;
  stage1.time_budget = 0;
  stage1.epochs = 2;
  train(stage1, {}, log.file);
  TrainConfig c = stage1;
  c.out = dir / "fine";
  c.refine_from = dir / "coarse/best.safetensors";
  c.epochs = 2;
  c.input_size = 256;  // not the stage-1 model's: its own input (64) must be used
  const TrainSummary s = train(c, {}, log.file);
  CHECK(s.epochs_run == 2);
  // Stage 1's figures as its own run measured them on the same validation images.
  const TrainerState coarse = state_of(dir / "coarse/last.safetensors");
  CHECK(s.stage1.mre_px == doctest::Approx(coarse.history[coarse.best_epoch].val_mre_px).epsilon(1e-6));
  double scale = 0;
  CHECK(load_refiner(dir / "fine/best.safetensors", scale) != nullptr);
  CHECK(load_refiner(dir / "coarse/best.safetensors", scale) == nullptr);  // one stage
  // The stage-1 weights of the two-stage file are the stage-1 model's.
  const SafetensorsFile a = SafetensorsFile::read(dir / "coarse/best.safetensors");
  const SafetensorsFile b = SafetensorsFile::read(dir / "fine/best.safetensors");
  for (const std::string& name : a.names()) CHECK(a.tensor(name).to_vector() == b.tensor(name).to_vector());

  // A stage-1 model for other landmarks is refused by name.
  synthesize_dataset({dir / "three", 16, 64, 3, 10});
  TrainConfig wrong = c;
  wrong.data = dir / "three";
  wrong.out = dir / "wrong";
  CHECK_THROWS_WITH_AS(train(wrong, {}, log.file),
                       doctest::Contains("the model finds 2 landmarks but the data has 3"), Error);
}

TEST_CASE("two stages: a budgeted stage 2, resumed mid-epoch, is bitwise the uninterrupted one") {
  TempDir dir;
  synthesize_dataset({dir / "data", 16, 64, 2, 12});
  NullLog log;
  TrainConfig stage1 = two_stage_config(dir / "data", dir / "coarse");
  stage1.refine = false;
  stage1.time_budget = 0;
  stage1.epochs = 1;
  train(stage1, {}, log.file);

  TrainConfig c = stage1;
  c.refine_from = dir / "coarse/best.safetensors";
  c.time_budget = 20;
  c.ema_decay = 0.9;
  c.out = dir / "straight";
  train(c, {}, log.file, counter_clock());
  TrainConfig first = c;
  first.out = dir / "resumed";
  first.max_steps = 4;  // the middle of the second epoch (3 steps each)
  train(first, {}, log.file, counter_clock());
  CHECK(state_of(dir / "resumed/last.safetensors").batch == 1);
  TrainConfig rest = resume_config(dir / "resumed", "--resume");
  rest.max_steps = 0;
  train(rest, {.resume = true}, log.file, counter_clock());

  CHECK(tensors_of(dir / "straight/last.safetensors") == tensors_of(dir / "resumed/last.safetensors"));
  CHECK(tensors_of(dir / "straight/best.safetensors") == tensors_of(dir / "resumed/best.safetensors"));
  CHECK(state_of(dir / "straight/last.safetensors").seconds_spent ==
        state_of(dir / "resumed/last.safetensors").seconds_spent);
}
