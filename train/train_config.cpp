#include "train/train_config.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <type_traits>
#include <utility>

#include "base/error.h"
#include "data/text.h"
#include "tensor/atomic_file.h"

namespace heatmark {

const std::vector<SettingRange>& train_setting_ranges() {
  constexpr double kYear = 366.0 * 24 * 3600;
  static const std::vector<SettingRange> ranges{
      {"val_fraction", "--val-fraction", 0, 1, false, true},
      {"mm_per_px", "--mm-per-px", 0, 100, false, false, "0: unknown"},
      {"sigma", "--sigma", defaults::kSigmaMin, defaults::kSigmaMax, false, false, "heatmap pixels"},
      {"beta", "--beta", defaults::kSoftArgmaxBetaMin, defaults::kSoftArgmaxBetaMax},
      {"batch", "--batch", 1, 4096},
      {"epochs", "--epochs", 1, 1e6},
      {"patience", "--patience", 0, 1e6, false, false, "0: off"},
      {"lr", "--lr", 1e-8, 10},
      {"weight_decay", "--weight-decay", 0, 10},
      {"max_grad_norm", "--max-grad-norm", 0, 1e6, false, false, "0: off"},
      {"warmup_epochs", "--warmup-epochs", 0, 1e4},
      {"step_epochs", "--step-epochs", 1, 1e6},
      {"step_gamma", "--step-gamma", 0, 1, true, false},
      {"heatmap_weight", "--heatmap-weight", 0, 1000},
      {"coordinate_weight", "--coord-weight", 0, 1000},
      {"ema_decay", "--ema", 0, 1, false, true, "0: off"},
      {"augment.rotation_degrees", "--rotation", 0, 180},
      {"augment.scale_min", "", 0.1, 10},
      {"augment.scale_max", "", 0.1, 10},
      {"augment.translate", "", 0, 1},
      {"augment.brightness", "", 0, 1},
      {"augment.contrast", "", 0, 1},
      {"augment.gamma", "", 0, 0.9},
      {"augment.noise", "", 0, 1},
      {"refine_scale", "--refine-scale", 0, 64, false, false, "0: the images' own resolution"},
      {"refine_share", "--refine-share", 0, 1, true, true},
      {"refine_epochs", "--refine-epochs", 1, 1e6},
      {"threads", "--threads", 0, 1024, false, false, "0: all cores"},
      {"max_steps", "--max-steps", 0, 1e12, false, false, "0: no limit"},
      {"time_budget", "--time-budget", 0, kYear, false, false, "seconds; 0: no budget"},
  };
  return ranges;
}

std::string SettingRange::str() const {
  return fmt::format("{}{}, {}{}", min_open ? "(" : "[", min, max, max_open ? ")" : "]");
}

void TrainConfig::validate() const {
  HM_CHECK(!data.empty(), "train: --data is required");
  // Every text setting is written into config.json and the checkpoints: it must be UTF-8.
  const nlohmann::json fields = to_json(*this);
  for (const auto& [key, value] : fields.items())
    if (value.is_string()) {
      const std::string text = value.get<std::string>();
      const size_t at = invalid_utf8_at(text);
      HM_CHECK(at == std::string::npos, "train: {} '{}' is not valid UTF-8 (byte 0x{:02x} at column {})", key,
               printable(text), static_cast<unsigned char>(text[at]), at + 1);
    }
  for (int64_t side : {input_size.width, input_size.height})
    HM_CHECK(side >= 32 && side <= 4096 && side % 32 == 0,
             "train: input_size (--input-size) must be a multiple of 32 in [32, 4096], got {}", input_size.str());
  // Every number against its range, read through the config's JSON form so
  // that a field is named as config.json names it. NaN fails every comparison.
  for (const SettingRange& r : train_setting_ranges()) {
    const std::string key = r.field;
    const size_t dot = key.find('.');
    const nlohmann::json& j = dot == std::string::npos ? fields.at(key) : fields.at(key.substr(0, dot)).at(key.substr(dot + 1));
    const double v = j.get<double>();
    const bool above = r.min_open ? v > r.min : v >= r.min;
    const bool below = r.max_open ? v < r.max : v <= r.max;
    HM_CHECK(above && below, "train: {}{} must be in {}{}, got {}", key,
             *r.flag ? fmt::format(" ({})", r.flag) : std::string(), r.str(),
             *r.note ? fmt::format(" ({})", r.note) : std::string(), v);
  }
  HM_CHECK(schedule == "cosine" || schedule == "step" || schedule == "constant",
           "train: schedule (--schedule) must be cosine, step or constant, got '{}'", schedule);
  HM_CHECK(heatmap_weight + coordinate_weight > 0, "train: the loss weights (--heatmap-weight, --coord-weight) are both 0");
  HM_CHECK(train_list.empty() == val_list.empty(), "train: give both --train-list and --val-list, or neither");
  HM_CHECK(augment.scale_min <= augment.scale_max, "train: augment.scale_min {} is above augment.scale_max {}",
           augment.scale_min, augment.scale_max);
  HM_CHECK(!out.empty(), "train: --out (the run folder) is required");
  HM_CHECK(time_budget == 0 || schedule != "step",
           "train: the step schedule counts epochs; with a time budget use the cosine or constant schedule");
  HM_CHECK(!(refine && !refine_from.empty()), "train: give --refine (both stages) or --refine-from (stage 2 alone), "
           "not both");
  HM_CHECK(refine_size >= 32 && refine_size <= 1024 && refine_size % 32 == 0,
           "train: refine_size (--refine-size) must be a multiple of 32 in [32, 1024], got {}", refine_size);
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
          {"allow_outside_paths", c.allow_outside_paths},
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
  HM_FIELD(val_fraction); HM_FIELD(train_list); HM_FIELD(val_list); HM_FIELD(mm_per_px); HM_FIELD(stretch); HM_FIELD(allow_outside_paths);
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
    j = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON ({})", path, e.what());
  }
  TrainConfig c;
  update_from_json(c, j, path);
  return c;
}

TrainConfig resume_config(const std::string& folder, const std::string& flag) {
  const std::string path = folder + "/config.json";
  HM_CHECK(std::filesystem::exists(path), "{} {}: no config.json there (not a run folder?)", flag, folder);
  TrainConfig c = read_train_config(path);
  c.out = folder;
  return c;
}

void make_input_paths_absolute(TrainConfig& c) {
  for (std::string* path : {&c.data, &c.images, &c.train_list, &c.val_list, &c.pretrained, &c.refine_from})
    if (!path->empty()) *path = std::filesystem::absolute(*path).lexically_normal().string();
}

}  // namespace heatmark
