// HRNet for landmark heatmaps, as in the official pose code:
//   stem      two 3x3 stride-2 convs (BN + ReLU): 1/4 resolution
//   stage 1   Bottlenecks to 4 x planes channels ("layer1")
//   stages 2-4  high-resolution modules over 2, 3, 4 parallel branches of
//             widths W, 2W, 4W, 8W at 1/4, 1/8, 1/16, 1/32 resolution; a
//             transition before each stage adds the next branch with a 3x3
//             stride-2 conv (BN + ReLU) from the lowest-resolution one
//   head      K heatmaps at 1/4 resolution (hrnet/config.h: simple, concat, deconv)
//
// Parameter and buffer names follow the official/timm state dicts, which is
// what makes ImageNet weights importable by name (hrnet/timm_import.h).
#pragma once

#include <memory>
#include <vector>

#include "hrnet/blocks.h"
#include "hrnet/config.h"
#include "layers/conv_transpose2d.h"

namespace heatmark {

class HRNet : public Module {
 public:
  // Weights are initialised from `seed` (Kaiming normal convolutions, unit batch norms).
  explicit HRNet(const HRNetConfig& config, uint64_t seed = 0);

  // x (N, in_channels, H, W), H and W multiples of 32 -> heatmaps (N, K, H/4, W/4).
  Tensor forward(const Tensor& x);

  const HRNetConfig& config() const { return config_; }

  // Parameter counts by part ("stem", "stage1", "stage2", ..., "head"), in order.
  std::vector<std::pair<std::string, int64_t>> parameter_counts();

 private:
  Tensor head_forward(const std::vector<Tensor>& branches);

  HRNetConfig config_;
  Generator gen_;
  Conv2d conv1, conv2;
  BatchNorm2d bn1, bn2;
  ModuleList layer1;
  std::array<ModuleList, 3> transitions_;  // transition1-3
  std::array<ModuleList, 3> stages_;       // stage2-4

  // Heads (only the configured one is built).
  std::unique_ptr<Conv2d> final_;              // head.final: 1x1 conv with bias to K
  std::unique_ptr<ConvBn> concat_fuse_;        // head.fuse
  ModuleList deconv_;                          // head.deconv.i: ConvTranspose2d + BN + ReLU
  ModuleGroup head_;
};

}  // namespace heatmark
