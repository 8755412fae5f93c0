// Model files: an HRNet's parameters and buffers in safetensors, with its
// configuration (hrnet/config.h) as JSON in the metadata, so the file alone
// rebuilds the model.
//   __metadata__: "format": "heatmark.model", "heatmark.version", "heatmark.config": {...}
#pragma once

#include <map>
#include <memory>
#include <string>

#include "hrnet/hrnet.h"
#include "tensor/safetensors.h"

namespace heatmark {

inline constexpr const char* kModelFormat = "heatmark.model";

// Every parameter and buffer of a module, by name.
std::vector<std::pair<std::string, Tensor>> state_tensors(Module& module);

// Writes the model atomically; `extra` metadata is added to the standard keys.
void save_model(HRNet& model, const std::string& path, const std::map<std::string, std::string>& extra = {});

// Rebuilds the model from its file (or a training checkpoint) on the CPU.
// Throws heatmark::Error naming the file and the problem: not a model file, a
// bad configuration, a missing, unexpected or wrongly shaped tensor.
std::unique_ptr<HRNet> load_model(const std::string& path);

// Copies every parameter and buffer of `module` from `file` (names and shapes
// must match exactly, and the file must hold nothing else, except the names
// for which `ignore` returns true).
void load_state(Module& module, const SafetensorsFile& file, bool (*ignore)(const std::string&) = nullptr);

}  // namespace heatmark
