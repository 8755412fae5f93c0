#include "hrnet/model_file.h"

#include <nlohmann/json.hpp>

#include <set>

#include "heatmark/version.h"
#include "tensor/error.h"

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
    fail("{}: {}", path, e.what());
  }
  auto model = std::make_unique<HRNet>(config);
  if (checkpoint)
    load_state(*model, file, [](const std::string& name) { return name.starts_with("optimizer."); });
  else
    load_state(*model, file);
  return model;
}

}  // namespace heatmark
