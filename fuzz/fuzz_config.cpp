// Fuzzes the train config JSON reader (train/train_config.cpp) from memory:
// update_from_json over the defaults, then validate(), plus a round trip
// (to_json and back must give the same config).
// JSON parse errors are nlohmann's (read_train_config turns them into
// heatmark::Error); the fields' checks throw heatmark::Error. Anything else
// is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "train/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(data, data + size);
  } catch (const nlohmann::json::exception&) {
    return 0;  // syntax error or a number out of range: read_train_config says "not valid JSON"
  }
  try {
    heatmark::TrainConfig config;
    heatmark::update_from_json(config, json, "fuzz.json");
    heatmark::TrainConfig back;
    heatmark::update_from_json(back, heatmark::to_json(config), "round trip");
    if (heatmark::to_json(back) != heatmark::to_json(config)) std::abort();  // the round trip lost something
    config.validate();
  } catch (const heatmark::Error&) {
    // rejected with a message: the expected outcome for bad input
  }
  return 0;
}
