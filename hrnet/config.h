// HRNet configurations: the layout of the backbone, the head, and what the
// model was trained for. A model file carries its configuration as JSON, so
// it is self-describing.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/defaults.h"
#include "data/input_spec.h"

namespace heatmark {

// One of stages 2-4: `modules` high-resolution modules, each with one branch
// per width of `blocks` BasicBlocks.
struct HRNetStage {
  int modules = 1;
  int blocks = 4;
  std::vector<int64_t> widths;  // channels per branch, highest resolution first
};

enum class HeadKind {
  Simple,  // branch 0 -> 1x1 conv (with bias) to K: the official pose head
  Concat,  // HRNetV2: all branches upsampled to branch 0, concatenated, 1x1 conv+BN+ReLU, 1x1 conv to K
  Deconv,  // the 1/16 branch, two x2 transposed convs with BN+ReLU, 1x1 conv to K
};

struct HRNetConfig {
  std::string name = "hrnet_w32";  // the preset it came from
  int64_t in_channels = 1;        // 1 (grayscale X-rays) or 3 (RGB; needed by ImageNet-pretrained weights)
  int64_t stem_width = 64;
  int stage1_blocks = 4;          // Bottlenecks of stage 1 ...
  int64_t stage1_planes = 64;     // ... with 4 x planes output channels
  std::array<HRNetStage, 3> stages;
  int64_t num_landmarks = 2;      // K heatmaps
  HeadKind head = HeadKind::Simple;
  int64_t deconv_channels = 256;  // the deconv head's width
  std::vector<std::string> landmark_names;  // optional, K names
  InputSize input_size;           // width x height the model was built or trained for
  // Input normalisation x' = (x / 255 - mean) / std per channel, applied by the data pipeline.
  std::vector<float> input_mean{defaults::kInputMean}, input_std{defaults::kInputStd};

  // How the model was trained, which inference must repeat: images stretched
  // (or letterboxed) to the input, the soft-argmax temperature, and
  // the target Gaussian's sigma in heatmap pixels (for DARK decoding).
  bool stretch = false;
  float soft_argmax_beta = defaults::kSoftArgmaxBeta;
  float target_sigma = defaults::kSigma;

  // Three input channels with ImageNet's normalisation, for pretrained weights
  // (grayscale images are then replicated to RGB).
  void use_imagenet_input();

  // The input this model takes: the data pipeline of training and inference.
  InputSpec input_spec() const { return {input_size, in_channels, input_mean, input_std, stretch}; }

  int64_t width() const { return stages[0].widths[0]; }
  // Heatmaps are a quarter of the input on each axis.
  int64_t heatmap_width() const { return input_size.width / 4; }
  int64_t heatmap_height() const { return input_size.height / 4; }
  // Whether the last module of stage 4 must produce every branch (the concat
  // and deconv heads read them; the simple head reads branch 0 only).
  bool multi_scale_output() const { return head != HeadKind::Simple; }

  // Throws heatmark::Error naming the first field that is out of range.
  void validate() const;
};

// The presets: hrnet_w18_small, hrnet_w18, hrnet_w32, hrnet_w48 (timm's layouts).
HRNetConfig hrnet_preset(const std::string& name);
std::vector<std::string> hrnet_preset_names();

HeadKind parse_head(const std::string& text);  // "simple", "concat", "deconv"
std::string head_name(HeadKind head);

nlohmann::json to_json(const HRNetConfig& config);
// Throws heatmark::Error naming the field that is missing or invalid.
HRNetConfig config_from_json(const nlohmann::json& json);

}  // namespace heatmark
