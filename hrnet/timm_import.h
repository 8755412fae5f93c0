// Importing timm's ImageNet-pretrained HRNet weights (the model.safetensors
// of hrnet_w18_small, hrnet_w18, hrnet_w32, hrnet_w48).
//
// Our modules carry timm's names, so the mapping is by name: the stem
// (conv1, bn1, conv2, bn2), layer1, transition1-3 and stage2-4 are copied;
// the classification head (incre_modules, downsamp_modules, final_layer,
// classifier) is skipped, as are the fusions of the last module that a
// single-output head does not build, and num_batches_tracked.
#pragma once

#include <string>
#include <vector>

#include "hrnet/hrnet.h"

namespace heatmark {

struct ImportReport {
  std::vector<std::string> matched;     // copied into the model
  std::vector<std::string> skipped;     // in the file, deliberately not used
  std::vector<std::string> missing;     // in the model, not in the file (left as initialised)
  std::vector<std::string> mismatched;  // same name, different shape ("name: file (a, b) vs model (c, d)")

  // True when every backbone tensor was found with the right shape (only the
  // landmark head, which ImageNet weights do not have, may be missing).
  bool complete() const;
  std::string summary() const;  // a few lines for the terminal
};

// Copies the matching tensors of `path` into `model` and reports what happened.
ImportReport import_timm(HRNet& model, const std::string& path);

}  // namespace heatmark
