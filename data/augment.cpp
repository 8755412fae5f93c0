#include "data/augment.h"

#include <algorithm>
#include <cmath>

#include "tensor/philox.h"

namespace heatmark {

namespace {
// Philox streams: one for the geometric and intensity draws, one for noise.
constexpr uint64_t kDrawStream = 0xA06D, kNoiseStream = 0x7015E;

// Uniform numbers for one (epoch, sample): Philox block (epoch, sample, i).
struct Draws {
  uint64_t seed, epoch, sample;
  double uniform(uint64_t i) const {
    const Philox4x32 w = philox_block(seed ^ (epoch * 0x9E3779B97F4A7C15ull), (sample << 8) | i, kDrawStream);
    return (static_cast<double>(w.v[0]) + 0.5) / 4294967296.0;
  }
  double between(uint64_t i, double lo, double hi) const { return lo + (hi - lo) * uniform(i); }
};
}  // namespace

AugmentDraw draw_augmentation(const AugmentOptions& o, uint64_t seed, uint64_t epoch, uint64_t sample, double width,
                              double height) {
  AugmentDraw d;
  if (!o.enabled) return d;
  const Draws r{seed, epoch, sample};
  const double angle = r.between(0, -o.rotation_degrees, o.rotation_degrees);
  const double scale = r.between(1, o.scale_min, o.scale_max);
  const double tx = r.between(2, -o.translate, o.translate) * width;
  const double ty = r.between(3, -o.translate, o.translate) * height;
  d.affine = Affine::rotate_scale_about(angle, scale, width / 2, height / 2).then(Affine::translate(tx, ty));
  if (o.flip && r.uniform(4) < 0.5)  // mirror about the vertical centre line
    d.affine = d.affine.then(Affine{-1, 0, width, 0, 1, 0});
  d.brightness = r.between(5, -o.brightness, o.brightness);
  d.contrast = r.between(6, 1 - o.contrast, 1 + o.contrast);
  d.gamma = r.between(7, 1 - o.gamma, 1 + o.gamma);
  d.noise_std = r.between(8, 0, o.noise);
  d.noise_seed = seed ^ (epoch << 32) ^ sample;
  return d;
}

void apply_intensity(const AugmentDraw& d, float* values, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double v = std::pow(std::max(0.0f, values[i]), d.gamma);
    v = (v - 0.5) * d.contrast + 0.5 + d.brightness;
    if (d.noise_std > 0) {  // Box-Muller from one Philox block per pair of pixels
      const Philox4x32 w = philox_block(d.noise_seed, static_cast<uint64_t>(i / 2), kNoiseStream);
      const double u1 = philox_uniform(w.v[0]), u2 = philox_uniform(w.v[1]);
      const double radius = std::sqrt(-2.0 * std::log(u1)), angle = 2.0 * M_PI * u2;
      v += d.noise_std * radius * (i % 2 ? std::sin(angle) : std::cos(angle));
    }
    values[i] = static_cast<float>(std::clamp(v, 0.0, 1.0));
  }
}

}  // namespace heatmark
