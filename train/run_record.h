// What a run is trained on, recorded in each of its checkpoints: a
// fingerprint of the dataset and the images of its training and validation
// sets. --resume compares it, and the checkpoint's config, with what it is
// about to use, so that a run never silently continues on other data, another
// split (a former validation image trained on) or another config.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "train/split.h"
#include "train/train_config.h"

namespace heatmark {

struct RunRecord {
  // FNV-1a over every sample: its image path relative to the dataset root and
  // the file's size, its subject, landmarks and spacing; and the landmark names.
  std::string data_fingerprint;
  int64_t images = 0;
  std::vector<std::string> train, validation;  // image paths relative to the dataset root
};

RunRecord make_run_record(const Dataset& data, const Split& split);
nlohmann::json to_json(const RunRecord& record);
RunRecord run_record_from_json(const nlohmann::json& json, const std::string& source);

// How `now` differs from `recorded`, one phrase each (at most a few images
// named per kind of change); empty when they agree.
std::vector<std::string> run_differences(const RunRecord& recorded, const RunRecord& now);

// The settings that give a checkpoint its meaning and differ, as
// "lr 0.001 -> 0.01". How long a run goes (epochs, patience, max_steps,
// time_budget), where it computes (device, kernels, threads) and where its
// inputs live (data, images, the split lists: compared by content instead)
// may change.
std::vector<std::string> config_differences(const TrainConfig& recorded, const TrainConfig& now);

}  // namespace heatmark
