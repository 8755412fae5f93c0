// Training for a wall-clock budget: durations parse, the LR schedule is planned
// on the budget so the run ends annealed, the run stops within one step of
// the budget, and a budgeted run resumed from its checkpoint is bitwise the
// uninterrupted one. The clock is a counter (one second per reading), so the
// runs are exact.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

#include "base/error.h"
#include "tensor/safetensors.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "tests/support/training_runs.h"
#include "train/checkpoint.h"
#include "train/schedule.h"
#include "train/synth.h"
#include "train/trainer.h"

using namespace heatmark;
using heatmark::testing::TempDir;
using heatmark::testing::NullLog;
using heatmark::testing::counter_clock;
using heatmark::testing::state_of;
using heatmark::testing::tensors_of;

namespace {

TrainConfig budget_config(const std::string& data, const std::string& out) {
  TrainConfig c;
  c.data = data;
  c.out = out;
  c.input_size = InputSize(64, 96);
  c.batch = 4;
  c.val_fraction = 0.25;  // 16 images: 12 train (3 steps per epoch), 4 validation
  c.seed = 5;
  c.time_budget = 20;
  c.warmup_epochs = 1;
  return c;
}


}  // namespace

TEST_CASE("time budget: durations read as seconds, minutes and hours") {
  CHECK(parse_duration("90", "--time-budget") == 90);
  CHECK(parse_duration("90s", "--time-budget") == 90);
  CHECK(parse_duration("45m", "--time-budget") == 2700);
  CHECK(parse_duration("1.5h", "--time-budget") == 5400);
  CHECK(parse_duration("1h30m", "--time-budget") == 5400);
  for (const char* bad : {"", "m", "45x", "-5m", "nan", "inf", " 5m", "5 m", "1e999"})
    CHECK_ERROR(parse_duration(bad, "--time-budget"),
                fmt::format("--time-budget: expected a duration like 45m, 1h30m, 90s or seconds, got '{}'", bad));
  TrainConfig c;
  update_from_json(c, nlohmann::json::parse(R"({"time_budget": "45m"})"), "config.json");
  CHECK(c.time_budget == 2700);
  update_from_json(c, nlohmann::json::parse(R"({"time_budget": 60})"), "config.json");
  CHECK(c.time_budget == 60);
  CHECK_ERROR(update_from_json(c, nlohmann::json::parse(R"({"time_budget": "soon"})"), "config.json"),
              "config.json: field 'time_budget': expected a duration like 45m");
}

TEST_CASE("time budget: the cosine runs on the budget's progress and reaches its final value at the end") {
  const LrSchedule s{"cosine", 1e-3, 10, 1000, 1, 0.1};
  CHECK(s.at_progress(0, 0.9) == doctest::Approx(1e-4));  // warmup still by steps
  CHECK(s.at_progress(20, 0.0) == doctest::Approx(1e-3));
  CHECK(s.at_progress(20, 0.5) == doctest::Approx(5e-4));
  CHECK(s.at_progress(20, 1.0) == doctest::Approx(0.0));
  CHECK(s.at_progress(20, 1.7) == doctest::Approx(0.0));  // past the end stays at the end
  const LrSchedule constant{"constant", 1e-3, 0, 1, 1, 0.1};
  CHECK(constant.at_progress(5, 0.99) == 1e-3);
  TrainConfig c;
  c.data = "dataset";
  c.out = "run";
  c.time_budget = 60;
  c.schedule = "step";
  CHECK_ERROR(c.validate(), "the step schedule counts epochs; with a time budget use the cosine or constant");
}

TEST_CASE("time budget: a budgeted run stops within one step of its budget with the LR at its final value") {
  TempDir dir;
  synthesize_dataset({dir / "data", 16, 64, 2, 4});
  NullLog log;
  const TrainConfig c = budget_config(dir / "data", dir / "run");
  const TrainSummary s = train(c, {}, log.file, counter_clock());
  // Each step costs 1 s and each validation 2 s: the budget ends the run, not the default epoch count.
  CHECK(s.stop_reason.find("the time budget of 0:20 is spent") != std::string::npos);
  const TrainerState state = state_of(dir / "run/last.safetensors");
  CHECK(state.seconds_spent == s.seconds_spent);
  CHECK(s.seconds_spent <= c.time_budget);
  const double per_step = s.seconds_spent / static_cast<double>(s.steps);
  CHECK(s.seconds_spent + per_step + state.validation_seconds > c.time_budget - per_step);  // one step short at most
  CHECK(s.last_lr < 0.01 * c.lr);  // annealed, not cut off
  REQUIRE(!state.history.empty());
  CHECK(state.history.back().lr == s.last_lr);
  // The last, partial epoch was validated and recorded like any other.
  CHECK(state.history.back().val_mre_px > 0);
  CHECK(state.batch == 0);
}

TEST_CASE("time budget: a budgeted run with a weight average, resumed mid-epoch, is bitwise the uninterrupted one") {
  TempDir dir;
  synthesize_dataset({dir / "data", 16, 64, 2, 7});
  NullLog log;
  TrainConfig c = budget_config(dir / "data", dir / "straight");
  c.ema_decay = 0.9;
  const TrainSummary straight = train(c, {}, log.file, counter_clock());

  TrainConfig first = c;
  first.out = dir / "resumed";
  first.max_steps = 4;  // the middle of epoch 2
  train(first, {}, log.file, counter_clock());
  const TrainerState middle = state_of(dir / "resumed/last.safetensors");
  CHECK(middle.batch == 1);
  CHECK(middle.seconds_spent == 6);  // 4 steps and one validation
  TrainConfig rest = resume_config(dir / "resumed", "--resume");
  rest.max_steps = 0;
  const TrainSummary resumed = train(rest, {.resume = true}, log.file, counter_clock());

  CHECK(resumed.steps == straight.steps);
  CHECK(resumed.seconds_spent == straight.seconds_spent);
  const auto a = tensors_of(dir / "straight/last.safetensors"), b = tensors_of(dir / "resumed/last.safetensors");
  CHECK(a.count("average.conv1.weight") == 1);
  CHECK(a == b);
  CHECK(tensors_of(dir / "straight/best.safetensors") == tensors_of(dir / "resumed/best.safetensors"));
  const TrainerState sa = state_of(dir / "straight/last.safetensors"), sb = state_of(dir / "resumed/last.safetensors");
  REQUIRE(sa.history.size() == sb.history.size());
  for (size_t e = 0; e < sa.history.size(); ++e) {
    CHECK(sa.history[e].lr == sb.history[e].lr);
    CHECK(sa.history[e].val_mre_px == sb.history[e].val_mre_px);
  }
}
