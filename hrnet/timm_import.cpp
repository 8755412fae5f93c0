#include "hrnet/timm_import.h"

#include <fmt/format.h>

#include <map>

#include "tensor/safetensors.h"

namespace heatmark {

namespace {

bool is_classification_head(const std::string& name) {
  for (const char* prefix : {"incre_modules.", "downsamp_modules.", "final_layer.", "classifier."})
    if (name.starts_with(prefix)) return true;
  return false;
}

}  // namespace

bool ImportReport::complete() const {
  if (!mismatched.empty()) return false;
  for (const std::string& name : missing)
    if (!name.starts_with("head.")) return false;
  return !matched.empty();
}

std::string ImportReport::summary() const {
  std::string s = fmt::format("matched {} tensors, skipped {}, missing {}, shape-mismatched {}", matched.size(),
                              skipped.size(), missing.size(), mismatched.size());
  auto list = [&](const char* title, const std::vector<std::string>& names, size_t limit) {
    if (names.empty()) return;
    s += fmt::format("\n{}:", title);
    for (size_t i = 0; i < names.size() && i < limit; ++i) s += "\n  " + names[i];
    if (names.size() > limit) s += fmt::format("\n  ... and {} more", names.size() - limit);
  };
  list("missing (left as initialised)", missing, 20);
  list("shape-mismatched (not copied)", mismatched, 20);
  return s;
}

ImportReport import_timm(HRNet& model, const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  std::map<std::string, Tensor> targets;
  for (auto& [name, t] : model.named_parameters()) targets[name] = *t;
  for (auto& [name, t] : model.named_buffers()) targets[name] = *t;

  ImportReport report;
  for (const std::string& name : file.names()) {
    auto it = targets.find(name);
    if (is_classification_head(name) || name.ends_with(".num_batches_tracked") || it == targets.end()) {
      report.skipped.push_back(name);  // the ImageNet head, a counter, or a fusion this model does not build
      continue;
    }
    const SafetensorsFile::Entry& e = file.entry(name);
    if (e.shape != it->second.shape()) {
      report.mismatched.push_back(
          fmt::format("{}: file {} vs model {}", name, e.shape.str(), it->second.shape().str()));
      continue;
    }
    it->second.copy_from(file.tensor(name));
    report.matched.push_back(name);
  }
  for (const auto& [name, t] : targets)
    if (!file.contains(name)) report.missing.push_back(name);
  return report;
}

}  // namespace heatmark
