// Training checkpoints: everything needed to continue a run exactly as if it
// had not stopped. A checkpoint is a model file (hrnet/model_file.h: weights
// and buffers, the model config) plus the optimizer's state tensors
// ("optimizer.m.3"), the weight average when the run keeps one
// ("average.conv1.weight", train/weight_average.h) and, in the metadata, the
// trainer's state (epoch, batch, step, time spent, best score, history) and
// the run's config and record (train/run_record.h). `predict` and `inspect` read a checkpoint like a model
// file (its training weights).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "hrnet/hrnet.h"
#include "layers/optimizer.h"
#include "train/run_record.h"
#include "train/train_config.h"

namespace heatmark {

inline constexpr const char* kCheckpointFormat = "heatmark.checkpoint";

// One epoch's line of metrics.csv.
struct EpochRecord {
  int64_t epoch = 0, step = 0;
  double lr = 0, train_loss = 0, train_heatmap = 0, train_coordinate = 0, val_loss = 0;
  double val_mre_px = -1, val_mre_mm = -1, sdr[4] = {-1, -1, -1, -1};
  double seconds = 0, images_per_second = 0;
};

struct TrainerState {
  int64_t epoch = 0;  // the epoch to run next (or being run, with batch > 0)
  int64_t batch = 0;  // the next batch within that epoch
  int64_t step = 0;   // optimizer steps so far
  // Wall-clock seconds this run has spent (training, validation, checkpoints)
  // over all its sessions, for --time-budget; and the last validation's share.
  double seconds_spent = 0, validation_seconds = 0;
  int64_t average_updates = 0;  // of the weight average, when there is one
  double last_lr = 0;           // the rate of the last step
  double best_score = -1;  // best validation MRE (mm if known, else px); -1 before any
  int64_t best_epoch = -1, epochs_since_best = 0;
  // Sums over the batches done so far in the current epoch, so that an epoch
  // resumed mid-way reports the same training loss as an uninterrupted one.
  double epoch_loss = 0, epoch_heatmap = 0, epoch_coordinate = 0;
  int64_t epoch_images = 0;
  std::vector<EpochRecord> history;
};

nlohmann::json to_json(const TrainerState& state);
TrainerState trainer_state_from_json(const nlohmann::json& json, const std::string& source);

// Written atomically. The optimizer states are stored by their names. The
// checkpoint it replaces stays as previous_checkpoint_path(path), so that a
// damaged latest one still leaves a run to resume.
void save_checkpoint(const std::string& path, HRNet& model, Optimizer& optimizer, const TrainerState& state,
                     const TrainConfig& config, const RunRecord& record, HRNet* average = nullptr);
// "run/last.safetensors" -> "run/last.previous.safetensors".
std::string previous_checkpoint_path(const std::string& path);
// What a checkpoint says it was trained with and on; either may be absent
// (checkpoints from before they were recorded).
struct CheckpointProvenance {
  std::optional<TrainConfig> config;
  std::optional<RunRecord> record;
};

// Restores model, optimizer, weight average (when given) and trainer state in
// place; throws heatmark::Error naming the file when it does not fit.
CheckpointProvenance load_checkpoint(const std::string& path, HRNet& model, Optimizer& optimizer, TrainerState& state,
                                     HRNet* average = nullptr);

// Tensors of a checkpoint that are not the model's own weights.
bool is_training_state_tensor(const std::string& name);

}  // namespace heatmark
