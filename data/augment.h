// Training augmentation: one random affine map per sample (rotation, scale,
// translation, optional horizontal flip), applied to the image and its
// landmarks together, and intensity changes (brightness, contrast, gamma,
// Gaussian noise).
//
// Every draw comes from Philox keyed by (seed, epoch, sample), so a run is
// reproducible, and a resumed run draws what the uninterrupted one would.
// No flips by default: a lateral cephalogram is not symmetric.
#pragma once

#include <cstdint>

#include "data/geometry.h"

namespace heatmark {

struct AugmentOptions {
  bool enabled = true;
  double rotation_degrees = 15;  // uniform in [-r, r]
  double scale_min = 0.9, scale_max = 1.1;
  double translate = 0.05;       // uniform in [-t, t] of the input's width (x) and height (y)
  bool flip = false;             // mirror left-right with probability 1/2
  double brightness = 0.1;       // added, uniform in [-b, b]
  double contrast = 0.2;         // factor about 0.5, uniform in [1 - c, 1 + c]
  double gamma = 0.2;            // exponent, uniform in [1 - g, 1 + g]
  double noise = 0.02;           // Gaussian noise, standard deviation uniform in [0, n]
};

struct AugmentDraw {
  Affine affine;  // in input-image pixels, about the centre
  double brightness = 0, contrast = 1, gamma = 1, noise_std = 0;
  uint64_t noise_seed = 0;
};

// The draw for `sample` in `epoch` for an input of width x height pixels
// (the identity, with no intensity change, when augmentation is off).
AugmentDraw draw_augmentation(const AugmentOptions& options, uint64_t seed, uint64_t epoch, uint64_t sample,
                              double width, double height);

// Applies the intensity part to n values in [0, 1] (clamped after).
void apply_intensity(const AugmentDraw& draw, float* values, int64_t n);

}  // namespace heatmark
