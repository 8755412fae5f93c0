// The trainer: turns a dataset into a landmark detector.
//
// One step: the loader thread's batch -> the device -> Gaussian targets
// rendered there -> HRNet heatmaps -> soft-argmax coordinates -> loss
// (w_h MSE + w_c L1) -> backward -> Adam (clipping optional) -> next.
// Each epoch ends with validation (MRE, SDR, per landmark), metrics.csv,
// curves.svg, the last checkpoint and, when it improved, the best model.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "infer/metrics.h"
#include "train/split.h"
#include "train/train_config.h"

namespace heatmark {

struct TrainSummary {
  Metrics best;        // validation metrics of the best epoch
  Metrics constant;    // the best constant predictor on the same validation images
  Metrics stage1;      // when stage 2 was trained: stage 1 alone on the same images
  std::string stage1_stop_reason;
  int64_t best_epoch = -1, epochs_run = 0, steps = 0;
  double seconds_spent = 0;  // over all sessions of the run (train/checkpoint.h)
  double last_lr = 0;        // the rate of the last step
  std::string stop_reason;
  int stopped_by_signal = 0;  // SIGINT or SIGTERM when a signal ended the run (train/interrupt.h)
  std::string run_folder;
};

// The dataset of a run (format, landmark subset, spacing defaults) and its
// train/validation split, as the trainer makes them; `eval --run` uses them to
// evaluate exactly the run's validation images.
Dataset load_training_data(const TrainConfig& config);
Split split_of(const TrainConfig& config, const Dataset& data);

// Seconds from an arbitrary origin. The trainer reads it once when a session
// starts, once after each step and once after each validation; a time budget
// is spent by what it measures.
using TrainingClock = std::function<double()>;
TrainingClock steady_training_clock();

// How a run starts.
struct TrainStart {
  // Continue the run in config.out from its last checkpoint; pass the run's
  // own config (resume_config). The data, the split and the config must agree
  // with what the checkpoint recorded (train/run_record.h) ...
  bool resume = false;
  // ... unless this is set: then the differences are printed and the run goes on.
  bool accept_mismatch = false;
  // A fresh run in a folder that is not empty (never one that holds the dataset).
  bool force = false;
};

// Trains as configured, writing into config.out, which it locks for its
// whole length (train/run_lock.h). A resumed run continues exactly as if it
// had not stopped. With a time budget the run is exact too when `clock` is
// (tests pass a counter).
TrainSummary train(const TrainConfig& config, const TrainStart& start, std::FILE* log,
                   TrainingClock clock = steady_training_clock());

}  // namespace heatmark
