// What tests of whole training runs share: a quiet log, a deterministic
// clock, and reading back what a run left in its files.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <map>
#include <string>
#include <vector>

#include "data/csv.h"
#include "data/dataset.h"
#include "tensor/safetensors.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace heatmark::testing {

// A log that goes nowhere, for runs whose output is not under test.
struct NullLog {
  std::FILE* file = std::fopen("/dev/null", "w");
  ~NullLog() { std::fclose(file); }
};

// One second per reading: a training session reads once at the start, once
// per step and twice per validation (before and after), so budgeted runs are exact.
inline TrainingClock counter_clock() {
  return [t = 0.0]() mutable { return t += 1.0; };
}

// Every tensor of a safetensors file, by name.
inline std::map<std::string, std::vector<float>> tensors_of(const std::string& path) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  std::map<std::string, std::vector<float>> out;
  for (const std::string& name : f.names()) out[name] = f.tensor(name).to_vector();
  return out;
}

// The trainer state a checkpoint holds.
inline TrainerState state_of(const std::string& path) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  return trainer_state_from_json(nlohmann::json::parse(f.metadata("heatmark.train_state")), path);
}

// A run's val_predictions.csv: image (relative to the dataset) -> its points, original pixels.
inline std::map<std::string, std::vector<Point>> predictions_of(const std::string& path) {
  const std::vector<CsvRow> rows = read_csv(path);
  std::map<std::string, std::vector<Point>> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    const std::vector<std::string>& cells = rows[r].fields;
    for (size_t i = 1; i + 1 < cells.size(); i += 2) out[cells[0]].push_back({std::stod(cells[i]), std::stod(cells[i + 1])});
  }
  return out;
}

}  // namespace heatmark::testing
