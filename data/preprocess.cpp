#include "data/preprocess.h"

#include <algorithm>
#include <utility>

namespace heatmark {

ImageLoad image_load_for(const InputSpec& input) {
  ImageLoad load;
  load.gray = input.channels == 1;
  // The input shows the image at scale min(W/w, H/h) when letterboxed (the
  // larger ratio w/W or h/H shrinks), per axis when stretched (the smaller
  // one must not be undersampled).
  load.view_width = static_cast<double>(input.size.width);
  load.view_height = static_cast<double>(input.size.height);
  load.stretch = input.stretch;
  return load;
}

CachedImage cache_image(Image image, const InputSpec& input) {
  CachedImage c;
  c.original_width = image.original_width();
  c.original_height = image.original_height();
  ImageLoad want = image_load_for(input);
  want.max_pixels = 0;  // the factor the input needs, whatever size the image was decoded at
  const int64_t needed = shrink_factor(c.original_width, c.original_height, want);
  const int64_t more = std::max<int64_t>(1, needed / image.scale);  // what the decoder left to do
  if (input.channels == 1 && image.channels != 1) image = to_gray(image);
  c.image = more > 1 ? box_downsample(image, more) : std::move(image);
  c.factor = c.image.scale;
  return c;
}

Affine prepare_input(const CachedImage& c, const InputSpec& input, const AugmentDraw& draw, bool intensity,
                     float* pixels) {
  const int64_t C = input.channels, W = input.size.width, H = input.size.height, plane = W * H;
  const double w = static_cast<double>(c.original_width), h = static_cast<double>(c.original_height);
  const double out_w = static_cast<double>(W), out_h = static_cast<double>(H);
  const Affine to_input =
      (input.stretch ? stretch(w, h, out_w, out_h) : letterbox(w, h, out_w, out_h)).then(draw.affine);
  // The cached image is the original shrunk by `factor`: cache -> original -> input.
  const double f = static_cast<double>(c.factor);
  std::vector<float> warped(c.image.channels * plane);
  warp_bilinear(c.image, Affine::scale(f, f).then(to_input), W, H, warped.data());
  if (intensity) apply_intensity(draw, warped.data(), static_cast<int64_t>(warped.size()));
  for (int64_t ch = 0; ch < C; ++ch) {
    const float* src = warped.data() + (c.image.channels == 1 ? 0 : ch) * plane;  // gray -> replicated
    const float mean = input.mean[ch], inv_std = 1.0f / input.std[ch];
    for (int64_t p = 0; p < plane; ++p) pixels[ch * plane + p] = (src[p] - mean) * inv_std;
  }
  return to_input;
}

}  // namespace heatmark
