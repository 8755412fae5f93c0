// The second stage's geometry: a patch's map to the original image and back
// is exact, a dot in the image lands in the patch where the map says (through
// crop_patches, the op inference uses), and the patch cache keeps the detail
// a patch needs.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "data/augment.h"
#include "data/geometry.h"
#include "infer/refine.h"
#include "tensor/kernels.h"
#include "tests/support/centroid.h"

using namespace heatmark;

namespace {

// A 1935 x 2400 gray image (an ISBI cephalogram's size) holding one bright
// Gaussian dot at `dot`, in original pixels.
Image dot_image(Point dot, int64_t width = 1935, int64_t height = 2400) {
  Image im;
  im.width = width;
  im.height = height;
  im.pixels.assign(width * height, 0.0f);
  for (int64_t y = static_cast<int64_t>(dot.y) - 40; y <= static_cast<int64_t>(dot.y) + 40; ++y)
    for (int64_t x = static_cast<int64_t>(dot.x) - 40; x <= static_cast<int64_t>(dot.x) + 40; ++x) {
      const double dx = x + 0.5 - dot.x, dy = y + 0.5 - dot.y;
      im.at(0, y, x) = static_cast<float>(std::exp(-(dx * dx + dy * dy) / (2 * 6.0 * 6.0)));
    }
  return im;
}

}  // namespace

TEST_CASE("refine: a patch's map to original pixels and back is exact, centred, at 1 / scale input pixels") {
  AugmentOptions o;
  o.translate = 0;
  for (bool stretched : {false, true})
    for (uint64_t sample = 0; sample < 8; ++sample) {
      const Affine to_input = stretched ? stretch(1935, 2400, 256, 320) : letterbox(1935, 2400, 256, 320);
      const Point centre{700.25 + 10 * static_cast<double>(sample), 1300.5};
      const Affine jitter = draw_augmentation(o, 4, 2, sample, 64, 64).affine;
      const Affine map = patch_to_original(to_input, centre, 2.5, 64, jitter);
      // The patch centre is the estimate: the jitter turns and scales about it.
      const Point middle = map.apply({32, 32});
      CHECK(middle.x == doctest::Approx(centre.x).epsilon(1e-12));
      CHECK(middle.y == doctest::Approx(centre.y).epsilon(1e-12));
      // original -> patch -> heatmap (stride 4) -> patch -> original
      const Affine back = map.inverse();
      for (Point p : {Point{712.3, 1288.9}, Point{650.0, 1350.75}}) {
        const Point in_patch = back.apply(p);
        const Point heat{in_patch.x / 4, in_patch.y / 4};
        const Point again = map.apply({heat.x * 4, heat.y * 4});
        CHECK(std::abs(again.x - p.x) < 1e-9);
        CHECK(std::abs(again.y - p.y) < 1e-9);
      }
    }
  // Without jitter, a patch pixel is 1 / scale of a stage-1 input pixel.
  const Affine to_input = letterbox(1935, 2400, 256, 320);
  const Affine map = patch_to_original(to_input, {900, 1200}, 2.5, 64);
  const Point a = to_input.apply(map.apply({10, 20})), b = to_input.apply(map.apply({11, 20}));
  CHECK(b.x - a.x == doctest::Approx(1 / 2.5));
  CHECK(b.y - a.y == doctest::Approx(0).scale(1));
}

TEST_CASE("refine: the patch cache keeps every patch pixel's detail") {
  const Affine to_input = letterbox(1935, 2400, 256, 320);  // 0.1323 input px per original px
  // At 2.5x the input, a patch pixel is 3.02 original pixels: a box of 3.
  CHECK(cache_for_refiner(dot_image({900, 1200}), to_input, 2.5).factor == 3);
  // At the image's own resolution, no shrinking.
  CHECK(cache_for_refiner(dot_image({900, 1200}), to_input, 1 / to_input.a).factor == 1);
}

TEST_CASE("refine: an image the decoder shrank gives the patch cache of the full one, in file pixels") {
  const Affine to_input = letterbox(1935, 2400, 256, 320);
  InputSpec stage1;
  stage1.size = InputSize(256, 320);
  // The decoder's factor for the refiner is the cache's: 3 at 2.5x the input.
  CHECK(shrink_factor(1935, 2400, refiner_image_load(stage1, 2.5)) == 3);
  CHECK(refiner_image_load(stage1, 2.5).gray);
  const Image full = dot_image({900, 1200});
  const CachedImage from_full = cache_for_refiner(full, to_input, 2.5);
  const CachedImage from_decoder = cache_for_refiner(box_downsample(full, 3), to_input, 2.5);
  CHECK(from_decoder.factor == 3);
  CHECK(from_decoder.original_width == 1935);
  CHECK(from_decoder.original_height == 2400);
  CHECK(from_decoder.image.pixels == from_full.image.pixels);
  // Decoded finer than needed (a shrink of 2, say for a finer stage 1): kept as it is.
  const CachedImage finer = cache_for_refiner(box_downsample(full, 2), to_input, 2.5);
  CHECK(finer.factor == 2);
  CHECK(finer.image.width == 968);
}

TEST_CASE("refine: a stage-2 patch round trip is exact: a dot lands where the map sends it, on cpu and emu") {
  const Point dot{812.4, 1433.7};
  const Image image = dot_image(dot);
  const Affine to_input = letterbox(1935, 2400, 256, 320);
  const CachedImage cached = cache_for_refiner(image, to_input, 2.5);
  AugmentOptions o;
  o.translate = 0;
  for (const Device device : {Device::cpu(), Device::emu()})
    for (uint64_t sample = 0; sample < 4; ++sample) {
      // Centred off the dot, as a stage-1 estimate would be, and jittered like training.
      const Point estimate{dot.x + 25.0 * static_cast<double>(sample) - 30, dot.y - 20};
      const Affine map =
          patch_to_original(to_input, estimate, 2.5, 64, draw_augmentation(o, 1, 0, sample, 64, 64).affine);
      const double f = 1.0 / static_cast<double>(cached.factor);
      const Affine to_cache = map.then(Affine::scale(f, f));
      const Tensor images = Tensor::from_vector(cached.image.pixels, {1, 1, cached.image.height, cached.image.width});
      const Tensor rows = Tensor::from_vector({0.0f, static_cast<float>(to_cache.a), static_cast<float>(to_cache.b),
                                               static_cast<float>(to_cache.c), static_cast<float>(to_cache.d),
                                               static_cast<float>(to_cache.e), static_cast<float>(to_cache.f)},
                                              {1, 7});
      const std::vector<float> patch =
          kernels::crop_patches(images.to(device), rows.to(device), 64, 64, 0.0f).to(Device::cpu()).to_vector();
      const Point expected = map.inverse().apply(dot);
      const Point found = testing::centroid(patch.data(), 64, 64);
      INFO(device.str(), " sample ", sample);
      CHECK(std::abs(found.x - expected.x) < 0.05);
      CHECK(std::abs(found.y - expected.y) < 0.05);
    }
}
