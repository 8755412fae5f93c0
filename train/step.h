// The forward half of a training step, shared by the trainer and `heatmark
// bench train`: heatmaps, Gaussian targets rendered on the device, soft-argmax
// coordinates and the loss. The caller runs backward and the optimizer.
#pragma once

#include <cstdint>

#include "autograd/ops.h"
#include "base/defaults.h"
#include "data/input_spec.h"
#include "hrnet/hrnet.h"

namespace heatmark {

struct LossSettings {
  InputSize input_size;  // the model's input, width x height
  double sigma = defaults::kSigma;          // target Gaussian, heatmap pixels
  double beta = defaults::kSoftArgmaxBeta;  // soft-argmax temperature
  double heatmap_weight = defaults::kHeatmapWeight, coordinate_weight = defaults::kCoordinateWeight;
};

struct StepOutput {
  LandmarkLoss loss;
  Tensor coords;  // (B, K, 2) predictions, x / width and y / height of the input
};

// images (B, C, H, W) and landmarks (B, K, 2) in input pixels, on the
// model's device, with `visibility` (B, K) saying which landmarks count
// (undefined: all). Records the graph in grad mode.
StepOutput forward_and_loss(HRNet& model, const Tensor& images, const Tensor& landmarks, const LossSettings& s,
                            const Tensor& visibility = Tensor());

}  // namespace heatmark
