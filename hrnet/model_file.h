// Model files: an HRNet's parameters and buffers in safetensors, with its
// configuration (hrnet/config.h) as JSON in the metadata, so the file alone
// rebuilds the model.
//   __metadata__: "format": "heatmark.model", "heatmark.version", "heatmark.config": {...}
// A two-stage model adds its patch refiner (infer/refine.h): the refiner's
// tensors under "refine.", its config as "heatmark.refine_config" and the
// patches' scale over the stage-1 input as "heatmark.refine_scale". Readers of
// stage 1 alone skip them.
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

// The second stage of a model: a small HRNet that sees a patch of the image
// around each first-stage estimate, `scale` times the first stage's input
// resolution (infer/refine.h).
struct RefinerModel {
  HRNet* net = nullptr;
  double scale = 0;
};

// Writes the model atomically; `extra` metadata is added to the standard
// keys. With a refiner, the file holds both stages.
void save_model(HRNet& model, const std::string& path, const std::map<std::string, std::string>& extra = {},
                RefinerModel refiner = {});

// Rebuilds the model from its file (or a training checkpoint) on the CPU.
// Throws heatmark::Error naming the file and the problem: not a model file, a
// bad configuration, a missing, unexpected or wrongly shaped tensor.
std::unique_ptr<HRNet> load_model(const std::string& path);

// The refiner of a two-stage model file, or nothing when the file has one
// stage; `scale` receives its scale. Errors as load_model's.
std::unique_ptr<HRNet> load_refiner(const std::string& path, double& scale);

// Copies every parameter and buffer of `module` from `file` (names and shapes
// must match exactly, and the file must hold nothing else, except the names
// for which `ignore` returns true).
void load_state(Module& module, const SafetensorsFile& file, bool (*ignore)(const std::string&) = nullptr);

}  // namespace heatmark
