// Everything a training run is configured by. Defaults are the founding
// method's: input 768, heatmaps 192, sigma 3, batch 4, Adam at 1e-3, up to
// 200 epochs with early stopping on validation MRE, loss 1.0 MSE + 0.5 L1.
// Flags override a JSON config file (--config), and the effective config is
// written to the run folder (config.json), from which --resume rereads it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "base/defaults.h"
#include "data/augment.h"
#include "data/input_spec.h"

namespace heatmark {

struct TrainConfig {
  // Data
  std::string data;             // dataset folder
  std::string format = "auto";  // auto, folder, isbi, aariz, labelme
  std::string images;           // image folder, for formats that need one (ISBI txt)
  std::string aariz_split;      // Aariz: train, valid, test, or all
  std::string landmarks;        // subset by name or 1-based index, comma-separated; empty = all
  double val_fraction = 0.2;
  std::string train_list, val_list;  // explicit split files (both or neither)
  double mm_per_px = 0;              // spacing when the dataset gives none (0: unknown)
  bool stretch = false;              // stretch to the input instead of letterboxing
  bool allow_outside_paths = false;  // annotations may name images outside the dataset folder

  // Model
  std::string model = "hrnet_w18_small";  // hrnet_w18_small, hrnet_w18, hrnet_w32, hrnet_w48
  std::string head = "simple";            // simple, concat, deconv
  std::string pretrained;                 // timm ImageNet weights or a heatmark model file
  InputSize input_size;                     // width x height, multiples of 32
  double sigma = defaults::kSigma;          // target Gaussian, in heatmap pixels
  double beta = defaults::kSoftArgmaxBeta;  // soft-argmax temperature

  // Optimisation
  int64_t batch = 4;
  int64_t epochs = 200;
  int64_t patience = 30;  // epochs without a better validation MRE before stopping (0: never)
  double lr = 1e-3;
  double weight_decay = 0;
  double max_grad_norm = 0;  // 0: no clipping
  std::string schedule = "cosine";  // cosine, step, constant
  double warmup_epochs = 1;
  int64_t step_epochs = 50;   // step schedule: multiply by step_gamma every step_epochs
  double step_gamma = 0.1;
  double heatmap_weight = defaults::kHeatmapWeight, coordinate_weight = defaults::kCoordinateWeight;
  // Exponential moving average of the weights, which validation scores and
  // best.safetensors keeps (train/weight_average.h); 0: off.
  double ema_decay = 0;
  AugmentOptions augment;

  // Stage 2, the patch refiner (infer/refine.h)
  bool refine = false;             // train it after stage 1, in the same run
  std::string refine_from;         // or train only it, on this stage-1 model file
  std::string refine_model = "hrnet_w18_small";
  int64_t refine_size = 64;        // patch side, a multiple of 32
  // Patch pixels per stage-1 input pixel; 0: the training images' own
  // resolution (the first training image's, the same for all as stage 1 sees them).
  double refine_scale = 0;
  double refine_share = 0.25;      // of --time-budget, for stage 2 (with --refine)
  int64_t refine_epochs = 60;      // without a time budget

  // Run
  uint64_t seed = 0;
  std::string device = "cpu";  // cpu, cuda[:N], emu
  std::string kernels = "handwritten";
  int threads = 0;             // CPU threads (0: all)
  std::string out;             // run folder
  int64_t max_steps = 0;       // stop after this many steps in total (0: no limit), for tests and benchmarks
  // Wall-clock seconds of training, validation included (0: no budget). With
  // a budget the LR schedule runs on elapsed time instead of steps, so the
  // run ends annealed; --epochs and --patience do not end it.
  double time_budget = 0;

  // Throws heatmark::Error naming the first field out of range (with its
  // flag), its value and the range (train_setting_ranges()).
  void validate() const;
};

// The valid range of a numeric setting, the same on the command line and in a
// config file; docs/SETTINGS.md lists them all (a test keeps it true).
struct SettingRange {
  const char* field;  // as in config.json: "lr", "augment.rotation_degrees"
  const char* flag;   // "--lr", or "" when only a config file sets it
  double min, max;
  bool min_open = false;  // (min, ...] instead of [min, ...]
  bool max_open = false;  // [..., max) instead of [..., max]
  const char* note = "";  // what a special value means ("0: off")
  std::string str() const;  // "[0, 1)"
};
const std::vector<SettingRange>& train_setting_ranges();

// "90", "90s", "45m", "1.5h", "1h30m" -> seconds; throws heatmark::Error
// naming `what` and the text.
double parse_duration(const std::string& text, const std::string& what);

nlohmann::json to_json(const TrainConfig& config);
// Reads the fields present in `json` over `config`; throws heatmark::Error
// naming an unknown field or a field of the wrong type.
void update_from_json(TrainConfig& config, const nlohmann::json& json, const std::string& source);
TrainConfig read_train_config(const std::string& path);
// The config of the run in `folder` (its config.json), for --resume or
// eval --run: `flag` names which in messages.
TrainConfig resume_config(const std::string& folder, const std::string& flag);
// Makes the input paths (data, images, split lists, pretrained) absolute, so
// that the run folder's config.json works from any working directory.
void make_input_paths_absolute(TrainConfig& config);

}  // namespace heatmark
