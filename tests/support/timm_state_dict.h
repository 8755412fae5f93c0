// The state-dict names and shapes of timm's HighResolutionNet (classification
// model, timm/models/hrnet.py) for a configuration, written out independently
// of heatmark's own model code, and a writer of such a file with random
// values: the import tests' stand-in for a downloaded model.safetensors.
#pragma once

#include <string>
#include <vector>

#include "hrnet/config.h"
#include "tensor/shape.h"

namespace heatmark::testing {

struct TimmTensor {
  std::string name;
  Shape shape;
  bool is_counter = false;  // num_batches_tracked: an I64 scalar
};

std::vector<TimmTensor> timm_state_dict(const HRNetConfig& config);

// Writes the state dict with values drawn from `seed` (F32; counters as I64).
void write_timm_file(const std::string& path, const HRNetConfig& config, uint64_t seed);

}  // namespace heatmark::testing
