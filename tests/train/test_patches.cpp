// The refiner's training patches: without augmentation a landmark sits at
// its patch's centre; with it, its offset follows the offset deviation and
// the map recovers it exactly; only the patch's own landmark trains.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "data/dataset.h"
#include "tests/support/temp_dir.h"
#include "train/patches.h"
#include "train/synth.h"

using namespace heatmark;
using heatmark::testing::TempDir;

TEST_CASE("patches: landmark k's patch is centred on it, trains channel k only, and its offsets follow the deviation") {
  TempDir dir;
  synthesize_dataset({dir / "data", 6, 128, 3, 2});
  const Dataset data = load_dataset(dir / "data", {});
  std::vector<size_t> all{0, 1, 2, 3, 4, 5};
  InputSpec stage1;
  stage1.size = InputSize(64, 96);
  const RefineImages images = cache_refine_images(data, all, stage1, 2.0);
  PatchOptions o;
  o.size = 32;
  o.scale = 2.0;
  o.offset_std = {1.0, 2.0, 0.5};  // stage-1 input pixels
  const PatchMaker maker(data, images, o, AugmentOptions{}, 3);

  const Batch plain = maker.make({1, 4}, 0, false);
  CHECK(plain.images.shape() == Shape{6, 1, 32, 32});
  CHECK(plain.coords.shape() == Shape{6, 3, 2});
  CHECK(plain.visibility.shape() == Shape{6, 3});
  const std::vector<float> coords = plain.coords.to_vector(), visible = plain.visibility.to_vector();
  for (int64_t n = 0; n < 6; ++n)
    for (int64_t j = 0; j < 3; ++j) {
      CHECK(visible[n * 3 + j] == (j == n % 3 ? 1.0f : 0.0f));
      CHECK(coords[(n * 3 + j) * 2] == doctest::Approx(16.0).epsilon(1e-5));  // the patch centre
      CHECK(coords[(n * 3 + j) * 2 + 1] == doctest::Approx(16.0).epsilon(1e-5));
    }

  // Augmented: the truth in patch pixels is the map's inverse of the truth,
  // and its offset from the centre, in stage-1 input pixels, is about the deviation.
  std::vector<double> sum_sq(3, 0.0);
  int draws = 0;
  for (uint64_t epoch = 0; epoch < 40; ++epoch) {
    const Batch b = maker.make(all, epoch, true);
    const std::vector<float> c = b.coords.to_vector();
    for (size_t s = 0; s < all.size(); ++s)
      for (int64_t k = 0; k < 3; ++k) {
        const int64_t n = static_cast<int64_t>(s) * 3 + k;
        const Affine map = maker.patch_map(all[s], k, epoch, true);
        const Point truth = map.inverse().apply(data.samples[all[s]].landmarks[k]);
        CHECK(c[(n * 3 + k) * 2] == doctest::Approx(truth.x).epsilon(1e-5));
        CHECK(c[(n * 3 + k) * 2 + 1] == doctest::Approx(truth.y).epsilon(1e-5));
        // Patch pixels are 1 / scale input pixels; the jitter scales by 0.9 to 1.1.
        const double dx = (truth.x - 16) / o.scale, dy = (truth.y - 16) / o.scale;
        CHECK(std::hypot(dx, dy) <= 3 * o.offset_std[k] / 0.9 + 1e-6);  // drawn within 3 deviations
        sum_sq[k] += (dx * dx + dy * dy) / 2;
      }
    ++draws;
  }
  for (int64_t k = 0; k < 3; ++k) {
    const double rms = std::sqrt(sum_sq[k] / (draws * 6.0));
    INFO("landmark ", k, " rms offset ", rms);
    CHECK(rms > 0.7 * o.offset_std[k]);
    CHECK(rms < 1.3 * o.offset_std[k]);
  }
}

TEST_CASE("patches: with augmentation off, training patches still draw their offsets, unturned") {
  TempDir dir;
  synthesize_dataset({dir / "data", 4, 128, 2, 5});
  const Dataset data = load_dataset(dir / "data", {});
  InputSpec stage1;
  stage1.size = InputSize(64);
  const RefineImages images = cache_refine_images(data, {0, 1, 2, 3}, stage1, 2.0);
  PatchOptions o;
  o.size = 32;
  o.scale = 2.0;
  o.offset_std = {2.0, 2.0};
  AugmentOptions off;
  off.enabled = false;
  const PatchMaker maker(data, images, o, off, 1);
  int moved = 0;
  for (size_t s = 0; s < 4; ++s)
    for (int64_t k = 0; k < 2; ++k) {
      const Affine map = maker.patch_map(s, k, 3, true);
      CHECK(map.b == doctest::Approx(0).scale(1));  // no rotation
      CHECK(map.a == doctest::Approx(maker.patch_map(s, k, 3, false).a));  // nor scaling
      const Point truth = map.inverse().apply(data.samples[s].landmarks[k]);
      moved += std::hypot(truth.x - 16, truth.y - 16) > 0.1;
    }
  CHECK(moved >= 6);
}
