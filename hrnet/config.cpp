#include "hrnet/config.h"

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace heatmark {

namespace {

HRNetConfig layout(const std::string& name, int stage1_blocks, int64_t stage1_planes, int64_t w,
                   std::array<int, 3> modules, int blocks) {
  HRNetConfig c;
  c.name = name;
  c.stage1_blocks = stage1_blocks;
  c.stage1_planes = stage1_planes;
  c.stages = {HRNetStage{modules[0], blocks, {w, 2 * w}}, HRNetStage{modules[1], blocks, {w, 2 * w, 4 * w}},
              HRNetStage{modules[2], blocks, {w, 2 * w, 4 * w, 8 * w}}};
  return c;
}

}  // namespace

HRNetConfig hrnet_preset(const std::string& name) {
  // The official layouts (HRNet-Image-Classification, as in timm): stage 1
  // has 4 Bottlenecks of 64 planes, stages 2-4 have 1/4/3 modules of 4
  // BasicBlocks per branch. hrnet_w18_small is the small CPU-friendly one:
  // 1 Bottleneck of 32 planes, 1/1/1 modules of 2 blocks, widths 16/32/64/128.
  if (name == "hrnet_w18_small") return layout(name, 1, 32, 16, {1, 1, 1}, 2);
  if (name == "hrnet_w18") return layout(name, 4, 64, 18, {1, 4, 3}, 4);
  if (name == "hrnet_w32") return layout(name, 4, 64, 32, {1, 4, 3}, 4);
  if (name == "hrnet_w48") return layout(name, 4, 64, 48, {1, 4, 3}, 4);
  fail("unknown model '{}' (expected hrnet_w18_small, hrnet_w18, hrnet_w32 or hrnet_w48)", name);
}

std::vector<std::string> hrnet_preset_names() { return {"hrnet_w18_small", "hrnet_w18", "hrnet_w32", "hrnet_w48"}; }

HeadKind parse_head(const std::string& text) {
  if (text == "simple") return HeadKind::Simple;
  if (text == "concat") return HeadKind::Concat;
  if (text == "deconv") return HeadKind::Deconv;
  fail("unknown head '{}' (expected simple, concat or deconv)", text);
}

std::string head_name(HeadKind head) {
  switch (head) {
    case HeadKind::Simple: return "simple";
    case HeadKind::Concat: return "concat";
    case HeadKind::Deconv: return "deconv";
  }
  return "?";
}

void HRNetConfig::use_imagenet_input() {
  in_channels = 3;
  input_mean = {0.485f, 0.456f, 0.406f};
  input_std = {0.229f, 0.224f, 0.225f};
}

void HRNetConfig::validate() const {
  HM_CHECK(in_channels == 1 || in_channels == 3, "model config: in_channels must be 1 or 3, got {}", in_channels);
  HM_CHECK(stem_width >= 1 && stem_width <= 4096, "model config: stem_width {} is out of range", stem_width);
  HM_CHECK(stage1_blocks >= 1 && stage1_blocks <= 64 && stage1_planes >= 1 && stage1_planes <= 4096,
           "model config: stage 1 ({} blocks of {} planes) is out of range", stage1_blocks, stage1_planes);
  for (size_t s = 0; s < stages.size(); ++s) {
    const HRNetStage& st = stages[s];
    HM_CHECK(st.widths.size() == s + 2, "model config: stage {} needs {} branch widths, got {}", s + 2, s + 2,
             st.widths.size());
    HM_CHECK(st.modules >= 1 && st.modules <= 64 && st.blocks >= 1 && st.blocks <= 64,
             "model config: stage {} ({} modules of {} blocks) is out of range", s + 2, st.modules, st.blocks);
    for (int64_t w : st.widths)
      HM_CHECK(w >= 1 && w <= 4096, "model config: stage {} width {} is out of range", s + 2, w);
    // A branch keeps its width from stage to stage; each stage adds one new branch.
    if (s > 0)
      for (size_t b = 0; b + 1 < st.widths.size(); ++b)
        HM_CHECK(st.widths[b] == stages[s - 1].widths[b],
                 "model config: branch {} changes width from {} in stage {} to {} in stage {}", b,
                 stages[s - 1].widths[b], s + 1, st.widths[b], s + 2);
  }
  HM_CHECK(num_landmarks >= 1 && num_landmarks <= 1024, "model config: num_landmarks {} is out of range",
           num_landmarks);
  HM_CHECK(landmark_names.empty() || static_cast<int64_t>(landmark_names.size()) == num_landmarks,
           "model config: {} landmark names for {} landmarks", landmark_names.size(), num_landmarks);
  HM_CHECK(deconv_channels >= 1 && deconv_channels <= 4096, "model config: deconv_channels {} is out of range",
           deconv_channels);
  for (int64_t side : {input_size.width, input_size.height})
    HM_CHECK(side >= 32 && side <= 8192 && side % 32 == 0,
             "model config: input_size must be a multiple of 32 in [32, 8192], got {}", input_size.str());
  HM_CHECK(input_mean.size() == static_cast<size_t>(in_channels) && input_std.size() == input_mean.size(),
           "model config: input_mean and input_std need {} values each", in_channels);
  for (float m : input_mean)
    HM_CHECK(m >= -10 && m <= 10, "model config: input_mean values must be in [-10, 10], got {}", m);
  for (float s : input_std) HM_CHECK(s >= 1e-6 && s <= 10, "model config: input_std values must be in [1e-06, 10], got {}", s);
  HM_CHECK(soft_argmax_beta >= defaults::kSoftArgmaxBetaMin && soft_argmax_beta <= defaults::kSoftArgmaxBetaMax,
           "model config: soft_argmax_beta must be in [{}, {}], got {}", defaults::kSoftArgmaxBetaMin,
           defaults::kSoftArgmaxBetaMax, soft_argmax_beta);
  HM_CHECK(target_sigma >= defaults::kSigmaMin && target_sigma <= defaults::kSigmaMax,
           "model config: target_sigma must be in [{}, {}], got {}", defaults::kSigmaMin, defaults::kSigmaMax,
           target_sigma);
}

nlohmann::json to_json(const HRNetConfig& c) {
  nlohmann::json stages = nlohmann::json::array();
  for (const HRNetStage& s : c.stages)
    stages.push_back({{"modules", s.modules}, {"blocks", s.blocks}, {"widths", s.widths}});
  return {{"name", c.name},
          {"in_channels", c.in_channels},
          {"stem_width", c.stem_width},
          {"stage1_blocks", c.stage1_blocks},
          {"stage1_planes", c.stage1_planes},
          {"stages", stages},
          {"num_landmarks", c.num_landmarks},
          {"head", head_name(c.head)},
          {"deconv_channels", c.deconv_channels},
          {"landmark_names", c.landmark_names},
          {"input_size", c.input_size},
          {"input_mean", c.input_mean},
          {"input_std", c.input_std},
          {"stretch", c.stretch},
          {"soft_argmax_beta", c.soft_argmax_beta},
          {"target_sigma", c.target_sigma}};
}

HRNetConfig config_from_json(const nlohmann::json& j) {
  HM_CHECK(j.is_object(), "model config: expected a JSON object");
  auto field = [&](const char* key) -> const nlohmann::json& {
    HM_CHECK(j.contains(key), "model config: missing field '{}'", key);
    return j.at(key);
  };
  HRNetConfig c;
  try {
    c.name = field("name").get<std::string>();
    c.in_channels = field("in_channels").get<int64_t>();
    c.stem_width = field("stem_width").get<int64_t>();
    c.stage1_blocks = field("stage1_blocks").get<int>();
    c.stage1_planes = field("stage1_planes").get<int64_t>();
    const nlohmann::json& stages = field("stages");
    HM_CHECK(stages.is_array() && stages.size() == 3, "model config: 'stages' must list 3 stages");
    for (size_t s = 0; s < 3; ++s) {
      c.stages[s].modules = stages[s].at("modules").get<int>();
      c.stages[s].blocks = stages[s].at("blocks").get<int>();
      c.stages[s].widths = stages[s].at("widths").get<std::vector<int64_t>>();
    }
    c.num_landmarks = field("num_landmarks").get<int64_t>();
    c.head = parse_head(field("head").get<std::string>());
    c.deconv_channels = field("deconv_channels").get<int64_t>();
    c.landmark_names = field("landmark_names").get<std::vector<std::string>>();
    c.input_size = field("input_size").get<InputSize>();
    c.input_mean = field("input_mean").get<std::vector<float>>();
    c.input_std = field("input_std").get<std::vector<float>>();
    // Inference settings (files from before they were recorded keep the defaults).
    c.stretch = j.value("stretch", c.stretch);
    c.soft_argmax_beta = j.value("soft_argmax_beta", c.soft_argmax_beta);
    c.target_sigma = j.value("target_sigma", c.target_sigma);
  } catch (const nlohmann::json::exception& e) {
    fail("model config: {}", e.what());
  }
  c.validate();
  return c;
}

}  // namespace heatmark
