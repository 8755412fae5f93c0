#include "hrnet/model_file.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string_view>

#include "base/error.h"
#include "heatmark/version.h"

namespace heatmark {

std::vector<std::pair<std::string, Tensor>> state_tensors(Module& module) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& [name, t] : module.named_parameters()) out.emplace_back(name, *t);
  for (auto& [name, t] : module.named_buffers()) out.emplace_back(name, *t);
  return out;
}

void save_model(HRNet& model, const std::string& path, const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> metadata = extra;
  metadata["format"] = kModelFormat;
  metadata["heatmark.version"] = HEATMARK_VERSION;
  metadata["heatmark.config"] = to_json(model.config()).dump();
  write_safetensors(path, state_tensors(model), metadata);
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

std::unique_ptr<HRNet> load_model(const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  // A training checkpoint is a model file plus optimizer state (train/checkpoint.h).
  const auto format = file.metadata().find("format");
  const bool checkpoint = format != file.metadata().end() && format->second == "heatmark.checkpoint";
  HM_CHECK(checkpoint || (format != file.metadata().end() && format->second == kModelFormat),
           "{}: not a heatmark model file (metadata 'format' is not '{}')", path, kModelFormat);
  HRNetConfig config;
  try {
    config = config_from_json(nlohmann::json::parse(file.metadata("heatmark.config")));
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
  auto model = std::make_unique<HRNet>(config);
  if (checkpoint)
    // The training weights: optimizer state and the weight average are the trainer's.
    load_state(*model, file, [](const std::string& name) {
      return name.starts_with("optimizer.") || name.starts_with("average.");
    });
  else
    load_state(*model, file);
  return model;
}

}  // namespace heatmark
