#include "train/train_config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <type_traits>
#include <utility>

#include "base/error.h"
#include "tensor/atomic_file.h"

namespace heatmark {

void TrainConfig::validate() const {
  HM_CHECK(!data.empty(), "train: --data is required");
  for (int64_t side : {input_size.width, input_size.height})
    HM_CHECK(side >= 32 && side <= 4096 && side % 32 == 0,
             "train: input_size must be a multiple of 32 in [32, 4096], got {}", input_size.str());
  HM_CHECK(sigma > 0 && sigma < 100, "train: sigma must be in (0, 100), got {}", sigma);
  HM_CHECK(beta > 0, "train: beta must be positive, got {}", beta);
  HM_CHECK(batch >= 1 && batch <= 4096, "train: batch must be in [1, 4096], got {}", batch);
  HM_CHECK(epochs >= 1, "train: epochs must be at least 1, got {}", epochs);
  HM_CHECK(patience >= 0, "train: patience must be >= 0, got {}", patience);
  HM_CHECK(lr > 0 && lr < 10, "train: lr must be in (0, 10), got {}", lr);
  HM_CHECK(weight_decay >= 0 && max_grad_norm >= 0, "train: weight_decay and max_grad_norm must be >= 0");
  HM_CHECK(schedule == "cosine" || schedule == "step" || schedule == "constant",
           "train: schedule must be cosine, step or constant, got '{}'", schedule);
  HM_CHECK(warmup_epochs >= 0 && step_epochs >= 1 && step_gamma > 0, "train: bad warmup or step schedule settings");
  HM_CHECK(heatmap_weight >= 0 && coordinate_weight >= 0 && heatmap_weight + coordinate_weight > 0,
           "train: the loss weights must be >= 0 and not both 0");
  HM_CHECK(val_fraction >= 0 && val_fraction < 1, "train: val_fraction must be in [0, 1), got {}", val_fraction);
  HM_CHECK(train_list.empty() == val_list.empty(), "train: give both --train-list and --val-list, or neither");
  HM_CHECK(augment.scale_min > 0 && augment.scale_min <= augment.scale_max, "train: bad augmentation scale range");
  HM_CHECK(!out.empty(), "train: --out (the run folder) is required");
  HM_CHECK(ema_decay == 0 || (ema_decay > 0 && ema_decay < 1), "train: ema_decay must be 0 (off) or in (0, 1), got {}",
           ema_decay);
  HM_CHECK(time_budget == 0 || schedule != "step",
           "train: the step schedule counts epochs; with a time budget use the cosine or constant schedule");
  HM_CHECK(!(refine && !refine_from.empty()), "train: give --refine (both stages) or --refine-from (stage 2 alone), "
           "not both");
  HM_CHECK(refine_size >= 32 && refine_size <= 1024 && refine_size % 32 == 0,
           "train: refine_size must be a multiple of 32 in [32, 1024], got {}", refine_size);
  HM_CHECK(refine_scale == 0 || (refine_scale > 0 && refine_scale <= 64),
           "train: refine_scale must be 0 (the images' resolution) or in (0, 64], got {}", refine_scale);
  HM_CHECK(refine_share > 0 && refine_share < 1, "train: refine_share must be in (0, 1), got {}", refine_share);
  HM_CHECK(refine_epochs >= 1, "train: refine_epochs must be at least 1, got {}", refine_epochs);
  HM_CHECK(time_budget >= 0 && time_budget <= 366.0 * 24 * 3600,
           "train: time_budget must be in [0, 1 year] seconds, got {}", time_budget);
}

double parse_duration(const std::string& text, const std::string& what) {
  // Parts of a number and a unit (s, m, h; none means seconds), as in 1h30m.
  double seconds = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text.substr(i), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    HM_CHECK(used > 0 && std::isfinite(value) && value >= 0 && text[i] != ' ',
             "{}: expected a duration like 45m, 1h30m, 90s or seconds, got '{}'", what, text);
    i += used;
    double unit = 1;
    if (i < text.size()) {
      const char u = text[i++];
      HM_CHECK(u == 's' || u == 'm' || u == 'h',
               "{}: expected a duration like 45m, 1h30m, 90s or seconds, got '{}'", what, text);
      unit = u == 'h' ? 3600 : u == 'm' ? 60 : 1;
    }
    seconds += value * unit;
    any = true;
  }
  HM_CHECK(any, "{}: expected a duration like 45m, 1h30m, 90s or seconds, got '{}'", what, text);
  return seconds;
}

nlohmann::json to_json(const TrainConfig& c) {
  const AugmentOptions& a = c.augment;
  return {{"data", c.data},
          {"format", c.format},
          {"images", c.images},
          {"aariz_split", c.aariz_split},
          {"landmarks", c.landmarks},
          {"val_fraction", c.val_fraction},
          {"train_list", c.train_list},
          {"val_list", c.val_list},
          {"mm_per_px", c.mm_per_px},
          {"stretch", c.stretch},
          {"model", c.model},
          {"head", c.head},
          {"pretrained", c.pretrained},
          {"input_size", c.input_size},
          {"sigma", c.sigma},
          {"beta", c.beta},
          {"batch", c.batch},
          {"epochs", c.epochs},
          {"patience", c.patience},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"max_grad_norm", c.max_grad_norm},
          {"schedule", c.schedule},
          {"warmup_epochs", c.warmup_epochs},
          {"step_epochs", c.step_epochs},
          {"step_gamma", c.step_gamma},
          {"heatmap_weight", c.heatmap_weight},
          {"coordinate_weight", c.coordinate_weight},
          {"ema_decay", c.ema_decay},
          {"augment",
           {{"enabled", a.enabled},
            {"rotation_degrees", a.rotation_degrees},
            {"scale_min", a.scale_min},
            {"scale_max", a.scale_max},
            {"translate", a.translate},
            {"flip", a.flip},
            {"brightness", a.brightness},
            {"contrast", a.contrast},
            {"gamma", a.gamma},
            {"noise", a.noise}}},
          {"refine", c.refine},
          {"refine_from", c.refine_from},
          {"refine_model", c.refine_model},
          {"refine_size", c.refine_size},
          {"refine_scale", c.refine_scale},
          {"refine_share", c.refine_share},
          {"refine_epochs", c.refine_epochs},
          {"seed", c.seed},
          {"device", c.device},
          {"kernels", c.kernels},
          {"threads", c.threads},
          {"out", c.out},
          {"max_steps", c.max_steps},
          {"time_budget", c.time_budget}};
}

namespace {
template <typename T>
void read(const nlohmann::json& j, const char* key, T& field, const std::string& source, const std::string& prefix) {
  if (!j.contains(key)) return;
  const nlohmann::json& value = j.at(key);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // get<T>() would silently truncate 2.5 to 2 and wrap -1 to 2^64 - 1.
    const bool fits = value.is_number_unsigned()  ? std::in_range<T>(value.get<uint64_t>())
                      : value.is_number_integer() ? std::in_range<T>(value.get<int64_t>())
                                                  : false;
    HM_CHECK(fits || !value.is_number(), "{}: field '{}{}' must be an integer in [{}, {}], got {}", source, prefix, key,
             std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), value.dump());
  }
  try {
    field = value.get<T>();
  } catch (const Error& e) {  // a value that parses but is malformed (input_size "25x")
    fail("{}: field '{}{}': {}", source, prefix, key, e.what());
  } catch (const nlohmann::json::exception&) {
    // An array or object is named, not printed: printing recurses as deep as it nests.
    fail("{}: field '{}{}' has the wrong type ({})", source, prefix, key,
         value.is_structured() ? std::string(value.type_name()) : value.dump());
  }
}
}  // namespace

void update_from_json(TrainConfig& c, const nlohmann::json& j, const std::string& source) {
  HM_CHECK(j.is_object(), "{}: expected a JSON object", source);
  const nlohmann::json known = to_json(c);
  for (const auto& [key, value] : j.items())
    HM_CHECK(known.contains(key), "{}: unknown field '{}'", source, key);
#define HM_FIELD(name) read(j, #name, c.name, source, "")
  HM_FIELD(data); HM_FIELD(format); HM_FIELD(images); HM_FIELD(aariz_split); HM_FIELD(landmarks);
  HM_FIELD(val_fraction); HM_FIELD(train_list); HM_FIELD(val_list); HM_FIELD(mm_per_px); HM_FIELD(stretch);
  HM_FIELD(model); HM_FIELD(head); HM_FIELD(pretrained); HM_FIELD(input_size); HM_FIELD(sigma); HM_FIELD(beta);
  HM_FIELD(batch); HM_FIELD(epochs); HM_FIELD(patience); HM_FIELD(lr); HM_FIELD(weight_decay);
  HM_FIELD(max_grad_norm); HM_FIELD(schedule); HM_FIELD(warmup_epochs); HM_FIELD(step_epochs); HM_FIELD(step_gamma);
  HM_FIELD(heatmap_weight); HM_FIELD(coordinate_weight); HM_FIELD(ema_decay); HM_FIELD(seed); HM_FIELD(device); HM_FIELD(kernels);
  HM_FIELD(threads); HM_FIELD(out); HM_FIELD(max_steps); HM_FIELD(refine); HM_FIELD(refine_from);
  HM_FIELD(refine_model); HM_FIELD(refine_size); HM_FIELD(refine_scale); HM_FIELD(refine_share); HM_FIELD(refine_epochs);
  if (j.contains("time_budget") && j.at("time_budget").is_string())  // "45m" as on the command line
    c.time_budget = parse_duration(j.at("time_budget").get<std::string>(), source + ": field 'time_budget'");
  else
    HM_FIELD(time_budget);
#undef HM_FIELD
  if (j.contains("augment")) {
    const nlohmann::json& a = j.at("augment");
    HM_CHECK(a.is_object(), "{}: field 'augment' must be an object", source);
    for (const auto& [key, value] : a.items())
      HM_CHECK(known["augment"].contains(key), "{}: unknown field 'augment.{}'", source, key);
    AugmentOptions& o = c.augment;
    read(a, "enabled", o.enabled, source, "augment.");
    read(a, "rotation_degrees", o.rotation_degrees, source, "augment.");
    read(a, "scale_min", o.scale_min, source, "augment.");
    read(a, "scale_max", o.scale_max, source, "augment.");
    read(a, "translate", o.translate, source, "augment.");
    read(a, "flip", o.flip, source, "augment.");
    read(a, "brightness", o.brightness, source, "augment.");
    read(a, "contrast", o.contrast, source, "augment.");
    read(a, "gamma", o.gamma, source, "augment.");
    read(a, "noise", o.noise, source, "augment.");
  }
}

TrainConfig read_train_config(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON ({})", path, e.what());
  }
  TrainConfig c;
  update_from_json(c, j, path);
  return c;
}

TrainConfig resume_config(const std::string& folder) {
  const std::string path = folder + "/config.json";
  HM_CHECK(std::filesystem::exists(path), "--resume {}: no config.json there (not a run folder?)", folder);
  TrainConfig c = read_train_config(path);
  c.out = folder;
  return c;
}

void make_input_paths_absolute(TrainConfig& c) {
  for (std::string* path : {&c.data, &c.images, &c.train_list, &c.val_list, &c.pretrained, &c.refine_from})
    if (!path->empty()) *path = std::filesystem::absolute(*path).lexically_normal().string();
}

}  // namespace heatmark
