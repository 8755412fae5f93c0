// The preprocessing spec: how an image becomes the model's input, shared by
// training (train/loader.h) and inference (infer/detector.h) so that both see
// exactly the same pixels.
//
// cache_image shrinks a decoded image by an integer box filter to less than
// twice the resolution the input shows it at (so the later bilinear warp
// never skips pixels it should average), in the channels the model takes.
// Decoding with image_load_for(input) makes the decoder do that shrinking
// itself, row by row, so the full-resolution image never exists.
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
  int64_t factor = 1;      // original (file) pixels per cached pixel
  int64_t original_width = 0, original_height = 0;  // the file's
};

// What to ask load_image for when the image is for `input`: gray when the
// model takes one channel, and shrunk as cache_image would shrink it (the
// stored image then stays under twice the input's size).
ImageLoad image_load_for(const InputSpec& input);

// Decodes nothing: shrinks a decoded image for `input` (see above). An image
// the decoder already shrank (Image::scale) is shrunk only by what is left,
// so the result is the same either way.
CachedImage cache_image(Image image, const InputSpec& input);

// The model input for one image: warped through original -> input
// (letterbox or stretch) -> `draw.affine` (an augmentation, or the identity),
// intensity-augmented when `intensity`, and normalised. `pixels` receives
// channels x height x width values; returns the original -> input map.
Affine prepare_input(const CachedImage& image, const InputSpec& input, const AugmentDraw& draw, bool intensity,
                     float* pixels);

}  // namespace heatmark
