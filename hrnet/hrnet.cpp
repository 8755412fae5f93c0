#include "hrnet/hrnet.h"

#include <fmt/format.h>

#include "autograd/ops.h"
#include "base/error.h"
#include "tensor/profiler.h"

namespace heatmark {

HRNet::HRNet(const HRNetConfig& config, uint64_t seed)
    : config_((config.validate(), config)),
      gen_(seed),
      conv1({config.in_channels, config.stem_width, 3, 2, -1, false}, gen_),
      conv2({config.stem_width, 64, 3, 2, -1, false}, gen_),
      bn1(config.stem_width),
      bn2(64) {
  register_module("conv1", &conv1);
  register_module("bn1", &bn1);
  register_module("conv2", &conv2);
  register_module("bn2", &bn2);

  // Stage 1: Bottlenecks from the stem's 64 channels.
  int64_t channels = 64;
  for (int b = 0; b < config.stage1_blocks; ++b) {
    layer1.add(std::make_unique<Bottleneck>(channels, config.stage1_planes, gen_));
    channels = config.stage1_planes * Bottleneck::kExpansion;
  }
  register_module("layer1", &layer1);

  std::vector<int64_t> previous{channels};
  for (size_t s = 0; s < 3; ++s) {
    const HRNetStage& stage = config.stages[s];
    // Transition: keep branches whose width is unchanged, convert the others,
    // and add the new branch from the last one with a stride-2 conv.
    ModuleList& transition = transitions_[s];
    for (size_t i = 0; i < stage.widths.size(); ++i) {
      if (i < previous.size()) {
        if (previous[i] == stage.widths[i])
          transition.add(std::unique_ptr<Module>());
        else
          transition.add(std::make_unique<ConvBn>(previous[i], stage.widths[i], 3, 1, true, gen_));
      } else {
        auto chain = std::make_unique<ModuleList>();  // one stride-2 step: each stage adds one branch
        chain->add(std::make_unique<ConvBn>(previous.back(), stage.widths[i], 3, 2, true, gen_));
        transition.add(std::move(chain));
      }
    }
    register_module("transition" + std::to_string(s + 1), &transition);
    for (int m = 0; m < stage.modules; ++m) {
      const bool last = s == 2 && m == stage.modules - 1;
      stages_[s].add(std::make_unique<HighResolutionModule>(stage.widths, stage.blocks,
                                                            !last || config.multi_scale_output(), gen_));
    }
    register_module("stage" + std::to_string(s + 2), &stages_[s]);
    previous = stage.widths;
  }

  // The head.
  const std::vector<int64_t>& widths = config.stages[2].widths;
  const int64_t K = config.num_landmarks;
  int64_t head_in = widths[0];
  if (config.head == HeadKind::Concat) {
    int64_t total = 0;
    for (int64_t w : widths) total += w;
    concat_fuse_ = std::make_unique<ConvBn>(total, total, 1, 1, true, gen_);
    head_.add("fuse", concat_fuse_.get());
    head_in = total;
  } else if (config.head == HeadKind::Deconv) {
    int64_t in = widths[2];  // the 1/16 branch after the last fusion
    for (int i = 0; i < 2; ++i) {
      auto step = std::make_unique<ModuleList>();
      step->add(std::make_unique<ConvTranspose2d>(ConvTranspose2dOptions{in, config.deconv_channels, 4, 2, 1, 0, false},
                                                  gen_));
      step->add(std::make_unique<BatchNorm2d>(config.deconv_channels));
      deconv_.add(std::move(step));
      in = config.deconv_channels;
    }
    head_.add("deconv", &deconv_);
    head_in = config.deconv_channels;
  }
  final_ = std::make_unique<Conv2d>(Conv2dOptions{head_in, K, 1, 1, 0, true}, gen_);
  // As in the official pose code: the heatmap layer starts near zero (normal,
  // std 0.001), so the first heatmaps are flat instead of large random maps
  // whose soft-argmax and MSE would start far off.
  normal_(final_->weight, gen_, 0.0f, 0.001f);
  head_.add("final", final_.get());
  register_module("head", &head_);
  named_parameters();  // names every tensor, for messages
  named_buffers();
}

Tensor HRNet::forward(const Tensor& x) {
  HM_CHECK(x.ndim() == 4 && x.size(1) == config_.in_channels,
           "model {}: input must be (N, {}, H, W), got shape {}", config_.name, config_.in_channels, x.shape().str());
  HM_CHECK(x.size(2) % 32 == 0 && x.size(3) % 32 == 0 && x.size(2) > 0 && x.size(3) > 0,
           "model {}: input height and width must be multiples of 32, got {}x{}", config_.name, x.size(2), x.size(3));
  // NVTX ranges name the parts of the model in Nsight timelines (tensor/profiler.h).
  Tensor y;
  {
    profiler::NamedRange range("stem");
    y = relu(bn1.forward(conv1.forward(x)));
    y = relu(bn2.forward(conv2.forward(y)));
  }
  {
    profiler::NamedRange range("stage1");
    for (size_t b = 0; b < layer1.size(); ++b) y = layer1.at<Bottleneck>(b)->forward(y);
  }

  std::vector<Tensor> branches{y};
  for (size_t s = 0; s < 3; ++s) {
    const ModuleList& transition = transitions_[s];
    std::vector<Tensor> inputs;
    {
      const std::string transition_name = fmt::format("transition{}", s + 1);
      profiler::NamedRange transition_range(transition_name.c_str());
      for (size_t i = 0; i < transition.size(); ++i) {
        if (i < branches.size()) {
          ConvBn* convert = transition.at<ConvBn>(i);
          inputs.push_back(convert ? convert->forward(branches[i]) : branches[i]);
        } else {
          inputs.push_back(transition.at<ModuleList>(i)->at<ConvBn>(0)->forward(branches.back()));
        }
      }
    }
    branches = std::move(inputs);
    for (size_t m = 0; m < stages_[s].size(); ++m) {
      const std::string module_name = fmt::format("stage{}.{}", s + 2, m);
      profiler::NamedRange module_range(module_name.c_str());
      branches = stages_[s].at<HighResolutionModule>(m)->forward(branches);
    }
  }
  profiler::NamedRange range("head");
  return head_forward(branches);
}

Tensor HRNet::head_forward(const std::vector<Tensor>& branches) {
  switch (config_.head) {
    case HeadKind::Simple:
      return final_->forward(branches[0]);
    case HeadKind::Concat: {
      const int64_t H = branches[0].size(2), W = branches[0].size(3);
      std::vector<Tensor> parts{branches[0]};
      for (size_t i = 1; i < branches.size(); ++i) parts.push_back(upsample_bilinear(branches[i], H, W));
      return final_->forward(concat_fuse_->forward(concat_channels(parts)));
    }
    case HeadKind::Deconv: {
      Tensor y = branches[2];
      for (size_t i = 0; i < deconv_.size(); ++i) {
        const ModuleList* step = deconv_.at<ModuleList>(i);
        y = relu(step->at<BatchNorm2d>(1)->forward(step->at<ConvTranspose2d>(0)->forward(y)));
      }
      return final_->forward(y);
    }
  }
  fail("model {}: unknown head", config_.name);
}

std::vector<std::pair<std::string, int64_t>> HRNet::parameter_counts() {
  std::vector<std::pair<std::string, int64_t>> parts{{"stem", 0}, {"stage1", 0}, {"stage2", 0},
                                                     {"stage3", 0}, {"stage4", 0}, {"head", 0}};
  for (auto& [name, tensor] : named_parameters()) {
    size_t part = 0;  // conv1, bn1, conv2, bn2: the stem
    if (name.starts_with("layer1")) part = 1;
    else if (name.starts_with("transition1") || name.starts_with("stage2")) part = 2;
    else if (name.starts_with("transition2") || name.starts_with("stage3")) part = 3;
    else if (name.starts_with("transition3") || name.starts_with("stage4")) part = 4;
    else if (name.starts_with("head")) part = 5;
    parts[part].second += tensor->numel();
  }
  return parts;
}

}  // namespace heatmark
