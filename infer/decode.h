// Decoding heatmaps into landmark positions.
//
//   softargmax  the expectation of pixel centres under softmax(beta * heatmap),
//               as trained (the default);
//   argmax      the hottest pixel's centre, moved a quarter pixel toward the
//               hotter neighbour on each axis (the HRNet convention);
//   dark        distribution-aware refinement (Zhang et al., CVPR 2020): the
//               heatmap is smoothed with the training Gaussian, and a
//               second-order Taylor expansion of its logarithm at the maximum
//               gives the sub-pixel peak.
// Positions are in heatmap pixels, corner-origin (tensor/cpu/render_gaussian_heatmaps.h).
//
// Confidence: the heatmap's peak value. Trained targets peak at 1, so a
// confident, well-localised detection scores near 1; a landmark the model
// cannot find leaves a flat map and a score near 0.
#pragma once

#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace heatmark {

enum class Decoder { SoftArgmax, Argmax, Dark };
Decoder parse_decoder(const std::string& text);  // "softargmax", "argmax", "dark"
std::string decoder_name(Decoder decoder);

struct Decoded {
  Point point;  // heatmap pixels
  double confidence = 0;
};

// One H x W heatmap. `beta` is the soft-argmax temperature, `sigma` the
// training Gaussian (DARK).
Decoded decode_heatmap(const float* map, int64_t height, int64_t width, Decoder decoder, double beta, double sigma);

}  // namespace heatmark
