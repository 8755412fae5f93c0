#include "data/preprocess.h"

#include <algorithm>

namespace heatmark {

CachedImage cache_image(Image image, const InputSpec& input) {
  CachedImage c;
  c.original_width = image.width;
  c.original_height = image.height;
  c.factor = std::max<int64_t>(1, std::max(image.width, image.height) / input.size);
  if (input.channels == 1) image = to_gray(image);
  c.image = box_downsample(image, c.factor);
  return c;
}

Affine prepare_input(const CachedImage& c, const InputSpec& input, const AugmentDraw& draw, bool intensity,
                     float* pixels) {
  const int64_t C = input.channels, S = input.size;
  const double w = static_cast<double>(c.original_width), h = static_cast<double>(c.original_height);
  const double s = static_cast<double>(S);
  const Affine to_input = (input.stretch ? stretch(w, h, s) : letterbox(w, h, s)).then(draw.affine);
  // The cached image is the original shrunk by `factor`: cache -> original -> input.
  const double f = static_cast<double>(c.factor);
  std::vector<float> warped(c.image.channels * S * S);
  warp_bilinear(c.image, Affine::scale(f, f).then(to_input), S, S, warped.data());
  if (intensity) apply_intensity(draw, warped.data(), static_cast<int64_t>(warped.size()));
  for (int64_t ch = 0; ch < C; ++ch) {
    const float* src = warped.data() + (c.image.channels == 1 ? 0 : ch) * S * S;  // gray -> replicated
    const float mean = input.mean[ch], inv_std = 1.0f / input.std[ch];
    for (int64_t p = 0; p < S * S; ++p) pixels[ch * S * S + p] = (src[p] - mean) * inv_std;
  }
  return to_input;
}

}  // namespace heatmark
