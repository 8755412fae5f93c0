// The defaults of the method, written once. Every config that has one of these
// values (the model's, the trainer's, the loss's, the ops') starts from here.
//   input 768 (heatmaps are a quarter of it), Gaussian targets of sigma 3
//   heatmap pixels, soft-argmax temperature 20, loss 1.0 * heatmap MSE +
//   0.5 * coordinate L1, and the input normalisation of grayscale X-rays.
#pragma once

#include <cstdint>

namespace heatmark::defaults {

inline constexpr int64_t kInputSize = 768;
inline constexpr float kSigma = 3.0f;
// Why 20: tensor/cpu/soft_argmax.h.
inline constexpr float kSoftArgmaxBeta = 20.0f;
inline constexpr float kHeatmapWeight = 1.0f, kCoordinateWeight = 0.5f;
inline constexpr float kInputMean = 0.5f, kInputStd = 0.25f;

// The valid ranges of the two that a model file records as well as a training
// config: a narrower Gaussian than a quarter pixel cannot be rendered on the
// heatmap grid, and past 10000 the soft-argmax's exponent leaves float range.
inline constexpr double kSigmaMin = 0.25, kSigmaMax = 100;
inline constexpr double kSoftArgmaxBetaMin = 0.01, kSoftArgmaxBetaMax = 10000;

}  // namespace heatmark::defaults
