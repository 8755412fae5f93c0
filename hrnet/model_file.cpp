#include "hrnet/model_file.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "base/error.h"
#include "heatmark/version.h"

namespace heatmark {

std::vector<std::pair<std::string, Tensor>> state_tensors(Module& module) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& [name, t] : module.named_parameters()) out.emplace_back(name, *t);
  for (auto& [name, t] : module.named_buffers()) out.emplace_back(name, *t);
  return out;
}

void save_model(HRNet& model, const std::string& path, const std::map<std::string, std::string>& extra,
                RefinerModel refiner) {
  std::map<std::string, std::string> metadata = extra;
  metadata["format"] = kModelFormat;
  metadata["heatmark.version"] = HEATMARK_VERSION;
  metadata["heatmark.config"] = to_json(model.config()).dump();
  std::vector<std::pair<std::string, Tensor>> tensors = state_tensors(model);
  if (refiner.net) {
    HM_CHECK(refiner.scale > 0, "{}: the refiner's scale must be positive, got {}", path, refiner.scale);
    metadata["heatmark.refine_config"] = to_json(refiner.net->config()).dump();
    metadata["heatmark.refine_scale"] = fmt::format("{}", refiner.scale);
    for (auto& [name, t] : state_tensors(*refiner.net)) tensors.emplace_back("refine." + name, t);
  }
  write_safetensors(path, tensors, metadata);
}

void load_state(Module& module, const SafetensorsFile& file, bool (*ignore)(const std::string&)) {
  std::set<std::string> expected;
  for (auto& [name, target] : state_tensors(module)) {
    expected.insert(name);
    HM_CHECK(file.contains(name), "{}: tensor '{}' is missing (the file is for another architecture?)", file.path(),
             name);
    const SafetensorsFile::Entry& e = file.entry(name);
    HM_CHECK(e.shape == target.shape(), "{}: tensor '{}' has shape {} but the model expects {}", file.path(), name,
             e.shape.str(), target.shape().str());
    target.copy_from(file.tensor(name));
  }
  for (const std::string& name : file.names())
    HM_CHECK(expected.count(name) || (ignore && ignore(name)),
             "{}: unexpected tensor '{}' (the file is for another architecture?)", file.path(), name);
}

namespace {

// A lower bound on the parameters of `c` from its 3x3 and 1x1 convolutions
// alone: the stem, stage 1's Bottlenecks and the BasicBlocks of stages 2-4.
// In double, so absurd configs cannot overflow.
double minimum_parameters(const HRNetConfig& c) {
  const auto sq = [](int64_t w) { return static_cast<double>(w) * static_cast<double>(w); };
  double n = 9.0 * static_cast<double>(c.in_channels * c.stem_width) + 9 * sq(c.stem_width);
  n += c.stage1_blocks * 17 * sq(c.stage1_planes);  // 1x1 (4p -> p), 3x3 (p -> p), 1x1 (p -> 4p)
  for (const HRNetStage& stage : c.stages)
    for (int64_t w : stage.widths) n += static_cast<double>(stage.modules) * stage.blocks * 18 * sq(w);
  return n;
}

}  // namespace

namespace {

// The config under metadata `key`, errors naming the file.
HRNetConfig config_of(const SafetensorsFile& file, const std::string& path, const std::string& key) {
  HRNetConfig config;
  try {
    config = config_from_json(nlohmann::json::parse(file.metadata(key)));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: metadata 'heatmark.config' is not valid JSON ({})", path, e.what());
  } catch (const Error& e) {
    if (std::string_view(e.what()).starts_with(path)) throw;  // it names the file already
    fail("{}: {}", path, e.what());
  }
  // The config alone decides how much the model allocates: a small file must
  // not make us build a giant model before its tensors are found missing.
  double elements = 0;
  for (const std::string& name : file.names()) elements += static_cast<double>(file.entry(name).shape.numel());
  const double needed = minimum_parameters(config);
  HM_CHECK(elements >= needed, "{}: its config needs at least {:.0f} parameters but the file holds {:.0f} values",
           path, needed, elements);
  return config;
}

SafetensorsFile read_model_file(const std::string& path, bool& checkpoint) {
  SafetensorsFile file = SafetensorsFile::read(path);
  // A training checkpoint is a model file plus optimizer state (train/checkpoint.h).
  const auto format = file.metadata().find("format");
  checkpoint = format != file.metadata().end() && format->second == "heatmark.checkpoint";
  HM_CHECK(checkpoint || (format != file.metadata().end() && format->second == kModelFormat),
           "{}: not a heatmark model file (metadata 'format' is not '{}')", path, kModelFormat);
  return file;
}

// A state dict under `prefix` ("refine."), read into `module`.
class PrefixedFile {
 public:
  PrefixedFile(const SafetensorsFile& file, std::string prefix) : file_(file), prefix_(std::move(prefix)) {}
  void load_into(Module& module) const {
    for (auto& [name, target] : state_tensors(module)) {
      const std::string key = prefix_ + name;
      HM_CHECK(file_.contains(key), "{}: tensor '{}' is missing", file_.path(), key);
      HM_CHECK(file_.entry(key).shape == target.shape(), "{}: tensor '{}' has shape {} but the model expects {}",
               file_.path(), key, file_.entry(key).shape.str(), target.shape().str());
      target.copy_from(file_.tensor(key));
    }
  }

 private:
  const SafetensorsFile& file_;
  std::string prefix_;
};

}  // namespace

std::unique_ptr<HRNet> load_model(const std::string& path) {
  bool checkpoint = false;
  const SafetensorsFile file = read_model_file(path, checkpoint);
  auto model = std::make_unique<HRNet>(config_of(file, path, "heatmark.config"));
  // The first stage's weights: optimizer state and the weight average are
  // the trainer's, the refiner load_refiner's.
  if (checkpoint)
    load_state(*model, file, [](const std::string& name) {
      return name.starts_with("optimizer.") || name.starts_with("average.") || name.starts_with("refine.");
    });
  else
    load_state(*model, file, [](const std::string& name) { return name.starts_with("refine."); });
  return model;
}

std::unique_ptr<HRNet> load_refiner(const std::string& path, double& scale) {
  bool checkpoint = false;
  const SafetensorsFile file = read_model_file(path, checkpoint);
  if (!file.metadata().count("heatmark.refine_config")) return nullptr;
  HM_CHECK(file.metadata().count("heatmark.refine_scale"), "{}: metadata 'heatmark.refine_scale' is missing", path);
  const std::string& text = file.metadata("heatmark.refine_scale");
  char* end = nullptr;
  scale = std::strtod(text.c_str(), &end);
  HM_CHECK(end && *end == '\0' && !text.empty() && std::isfinite(scale) && scale > 0 && scale <= 64,
           "{}: metadata 'heatmark.refine_scale' must be a number in (0, 64], got '{}'", path, text);
  auto refiner = std::make_unique<HRNet>(config_of(file, path, "heatmark.refine_config"));
  PrefixedFile(file, "refine.").load_into(*refiner);
  return refiner;
}

}  // namespace heatmark
