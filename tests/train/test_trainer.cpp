// The trainer end to end on generated data: it learns, it is reproducible,
// a resumed run equals an uninterrupted one, and faults stop it cleanly.
#include <doctest/doctest.h>

#include <unistd.h>

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
#include "train/loader.h"
#include "train/synth.h"
#include "train/trainer.h"

using namespace heatmark;
using heatmark::testing::TempDir;
using heatmark::testing::NullLog;
using heatmark::testing::predictions_of;
using heatmark::testing::state_of;
using heatmark::testing::tensors_of;
namespace fs = std::filesystem;

namespace {

TrainConfig tiny_config(const std::string& data, const std::string& out) {
  TrainConfig c;
  c.data = data;
  c.out = out;
  c.input_size = 64;
  c.batch = 4;
  c.epochs = 3;
  c.val_fraction = 0.25;
  c.seed = 11;
  return c;
}

}  // namespace

TEST_CASE("trainer: the same seed gives bitwise identical runs") {
  TempDir dir;
  synthesize_dataset({dir / "data", 16, 64, 2, 4});
  NullLog log;
  train(tiny_config(dir / "data", dir / "a"), {}, log.file);
  train(tiny_config(dir / "data", dir / "b"), {}, log.file);
  CHECK(tensors_of(dir / "a/last.safetensors") == tensors_of(dir / "b/last.safetensors"));
  const TrainerState a = state_of(dir / "a/last.safetensors"), b = state_of(dir / "b/last.safetensors");
  REQUIRE(a.history.size() == 3);
  for (size_t e = 0; e < 3; ++e) {
    CHECK(a.history[e].train_loss == b.history[e].train_loss);
    CHECK(a.history[e].val_mre_px == b.history[e].val_mre_px);
  }
}

TEST_CASE("trainer: save -> resume mid-epoch -> continue equals an uninterrupted run, bitwise") {
  TempDir dir;
  synthesize_dataset({dir / "data", 16, 64, 2, 5});
  NullLog log;
  train(tiny_config(dir / "data", dir / "straight"), {}, log.file);

  // 12 training images in batches of 4: 3 steps per epoch. Stop after 4 steps
  // (in the middle of epoch 2), then resume to the end.
  TrainConfig interrupted = tiny_config(dir / "data", dir / "resumed");
  interrupted.max_steps = 4;
  const TrainSummary first = train(interrupted, {}, log.file);
  CHECK(first.steps == 4);
  const TrainerState middle = state_of(dir / "resumed/last.safetensors");
  CHECK(middle.epoch == 1);
  CHECK(middle.batch == 1);
  TrainConfig rest = resume_config(dir / "resumed", "--resume");
  rest.max_steps = 0;
  const TrainSummary second = train(rest, {.resume = true}, log.file);
  CHECK(second.steps == 9);

  CHECK(tensors_of(dir / "straight/last.safetensors") == tensors_of(dir / "resumed/last.safetensors"));
  const TrainerState a = state_of(dir / "straight/last.safetensors"), b = state_of(dir / "resumed/last.safetensors");
  REQUIRE(b.history.size() == 3);
  for (size_t e = 0; e < 3; ++e) CHECK(a.history[e].train_loss == b.history[e].train_loss);
  CHECK(tensors_of(dir / "straight/best.safetensors") == tensors_of(dir / "resumed/best.safetensors"));
}

TEST_CASE("trainer: a non-finite loss stops the run naming the step, and keeps the last good checkpoint") {
  TempDir dir;
  synthesize_dataset({dir / "data", 16, 64, 2, 6});
  NullLog log;
  // A model file whose head weights hold NaN, as the pretrained starting point.
  HRNetConfig mc = hrnet_preset("hrnet_w18_small");
  mc.num_landmarks = 2;
  mc.input_size = 64;
  HRNet broken(mc);
  broken.named_parameters().back().second->fill(NAN);
  save_model(broken, dir / "broken.safetensors");
  TrainConfig c = tiny_config(dir / "data", dir / "run");
  c.pretrained = dir / "broken.safetensors";
  std::string message;
  try {
    train(c, {}, log.file);
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message.find("step 1 (epoch 1): the loss is nan") != std::string::npos);
  // There is no checkpoint yet, and the message does not pretend there is one.
  CHECK(message.find("No checkpoint was written yet") != std::string::npos);
  CHECK(message.find("last good checkpoint") == std::string::npos);
  CHECK_FALSE(fs::exists(dir / "run/last.safetensors"));

  // After a good epoch, a later fault leaves that epoch's checkpoint intact.
  TrainConfig good = tiny_config(dir / "data", dir / "good");
  good.epochs = 1;
  train(good, {}, log.file);
  const auto before = tensors_of(dir / "good/last.safetensors");
  CHECK_THROWS_WITH_AS(train(good, {}, log.file), doctest::Contains("is not empty"), Error);
  CHECK(tensors_of(dir / "good/last.safetensors") == before);
}


TEST_CASE("trainer: a non-square input is recorded in the model, and the Detector repeats validation's predictions") {
  TempDir dir;
  // Square 64 x 64 images into an input of 64 x 96: letterboxed, with padding above and below.
  synthesize_dataset({dir / "data", 16, 64, 2, 8});
  NullLog log;
  TrainConfig c = tiny_config(dir / "data", dir / "run");
  c.input_size = InputSize(64, 96);
  c.epochs = 2;
  train(c, {}, log.file);
  const std::unique_ptr<HRNet> model = load_model(dir / "run/best.safetensors");
  CHECK(model->config().input_size == InputSize(64, 96));
  CHECK(model->config().heatmap_width() == 16);
  CHECK(model->config().heatmap_height() == 24);

  // val_predictions.csv holds validation's predictions in original pixels; the
  // Detector, reading only the model file, must find the same points.
  Detector detector(dir / "run/best.safetensors");
  const auto predictions = predictions_of(dir / "run/val_predictions.csv");
  for (const auto& prediction : predictions) {
    const std::string& image = prediction.first;  // not a structured binding: INFO captures it (clang 14 refuses bindings)
    const auto& points = prediction.second;
    const std::vector<Landmark> found = detector.predict(load_image(dir / ("data/" + image)));
    for (size_t k = 0; k < 2; ++k) {
      INFO(image, " landmark ", k);
      CHECK(found[k].x == doctest::Approx(points[k].x).epsilon(1e-3));
      CHECK(found[k].y == doctest::Approx(points[k].y).epsilon(1e-3));
    }
  }
  CHECK(predictions.size() == 4);
}
