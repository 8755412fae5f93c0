// The preprocessing spec: how an image becomes the model's input, shared by
// training (train/loader.h) and inference (infer/detector.h) so that both see
// exactly the same pixels.
//
// cache_image shrinks a decoded image by an integer box filter to less than
// twice the resolution the input shows it at (so the later bilinear warp
// never skips pixels it should average), in the channels the model takes.
// prepare_input warps it into the input, augments it when asked, and
// normalises it.
#pragma once

#include <cstdint>
#include <vector>

#include "data/augment.h"
#include "data/geometry.h"
#include "data/image.h"
#include "data/input_spec.h"

namespace heatmark {

struct CachedImage {
  Image image;             // shrunk, in the model's channels
  int64_t factor = 1;      // original pixels per cached pixel
  int64_t original_width = 0, original_height = 0;
};

// Decodes nothing: shrinks a decoded image for `input` (see above).
CachedImage cache_image(Image image, const InputSpec& input);

// The model input for one image: warped through original -> input
// (letterbox or stretch) -> `draw.affine` (an augmentation, or the identity),
// intensity-augmented when `intensity`, and normalised. `pixels` receives
// channels x height x width values; returns the original -> input map.
Affine prepare_input(const CachedImage& image, const InputSpec& input, const AugmentDraw& draw, bool intensity,
                     float* pixels);

}  // namespace heatmark
