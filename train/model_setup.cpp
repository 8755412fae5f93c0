#include "train/model_setup.h"

#include <fmt/format.h>

#include <map>

#include "base/error.h"
#include "hrnet/model_file.h"
#include "hrnet/timm_import.h"
#include "tensor/safetensors.h"
#include "train/checkpoint.h"

namespace heatmark {

HRNetConfig model_config(const TrainConfig& c, const Dataset& d) {
  HRNetConfig m = hrnet_preset(c.model);
  m.head = parse_head(c.head);
  m.num_landmarks = static_cast<int64_t>(d.landmark_names.size());
  m.landmark_names = d.landmark_names;
  m.input_size = c.input_size;
  m.stretch = c.stretch;
  m.soft_argmax_beta = static_cast<float>(c.beta);
  m.target_sigma = static_cast<float>(c.sigma);
  return m;
}

HRNetConfig refiner_config(const TrainConfig& c, const Dataset& d) {
  HRNetConfig m = hrnet_preset(c.refine_model);
  m.num_landmarks = static_cast<int64_t>(d.landmark_names.size());
  m.landmark_names = d.landmark_names;
  m.input_size = c.refine_size;
  m.soft_argmax_beta = static_cast<float>(c.beta);
  m.target_sigma = static_cast<float>(c.sigma);
  return m;
}

// Starts from pretrained weights: timm's ImageNet HRNet (RGB input, the
// backbone only) or a heatmark model file of the same architecture.
std::unique_ptr<HRNet> make_model(const TrainConfig& c, HRNetConfig config, std::FILE* log) {
  if (c.pretrained.empty()) return std::make_unique<HRNet>(config, c.seed);
  const SafetensorsFile file = SafetensorsFile::read(c.pretrained);
  const auto format = file.metadata().find("format");
  if (format != file.metadata().end() && (format->second == kModelFormat || format->second == kCheckpointFormat)) {
    std::unique_ptr<HRNet> source = load_model(c.pretrained);
    config.in_channels = source->config().in_channels;  // the input the weights were trained for
    config.input_mean = source->config().input_mean;
    config.input_std = source->config().input_std;
    auto model = std::make_unique<HRNet>(config, c.seed);
    int copied = 0;
    std::map<std::string, Tensor> from;
    for (auto& [name, t] : state_tensors(*source)) from[name] = t;
    for (auto& [name, t] : state_tensors(*model)) {
      auto it = from.find(name);
      if (it != from.end() && it->second.shape() == t.shape()) {
        t.copy_from(it->second);
        ++copied;
      } else {
        HM_CHECK(name.starts_with("head."), "--pretrained {}: tensor '{}' does not fit this model ({})", c.pretrained,
                 name, it == from.end() ? "missing" : it->second.shape().str());
      }
    }
    fmt::print(log, "pretrained: {} tensors from {}\n", copied, c.pretrained);
    return model;
  }
  config.use_imagenet_input();
  auto model = std::make_unique<HRNet>(config, c.seed);
  const ImportReport report = import_timm(*model, c.pretrained);
  HM_CHECK(report.complete(), "--pretrained {} does not fit {}: {}", c.pretrained, c.model, report.summary());
  fmt::print(log, "pretrained (ImageNet, timm): {}\n", report.summary());
  return model;
}

}  // namespace heatmark
