// heatmark bench train: the speed and memory of whole training steps (or
// forward passes) of an HRNet on random data, with a breakdown by kind of op.
#pragma once

#include "data/input_spec.h"

#include <cstdint>
#include <string>

namespace heatmark::cli {

struct BenchTrainOptions {
  std::string model = "hrnet_w32";
  std::string head = "simple";
  std::string device = "cpu";
  std::string kernels = "handwritten";
  InputSize input_size{256};  // width x height
  int64_t batch = 1;
  int64_t landmarks = 2;
  int steps = 10;   // timed steps
  int warmup = 2;   // untimed steps first
  bool forward_only = false;  // inference: eval mode, no graph, no update
  std::string json;  // also write the results here
  bool force = false;  // replace an existing json file
};

int bench_train(const BenchTrainOptions& options);

}  // namespace heatmark::cli
