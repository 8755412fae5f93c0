#include "data/preprocess.h"

#include <algorithm>

namespace heatmark {

CachedImage cache_image(Image image, const InputSpec& input) {
  CachedImage c;
  c.original_width = image.width;
  c.original_height = image.height;
  // The input shows the image at scale min(W/w, H/h) when letterboxed (the
  // larger ratio w/W or h/H shrinks), per axis when stretched (the smaller
  // one must not be undersampled).
  const int64_t ratio_x = image.width / input.size.width, ratio_y = image.height / input.size.height;
  c.factor = std::max<int64_t>(1, input.stretch ? std::min(ratio_x, ratio_y) : std::max(ratio_x, ratio_y));
  if (input.channels == 1) image = to_gray(image);
  c.image = box_downsample(image, c.factor);
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
