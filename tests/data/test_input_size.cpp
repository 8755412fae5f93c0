// Non-square inputs: parsing "256x320", the JSON forms, and that a point goes
// image -> input -> heatmap -> image exactly when the input keeps the
// image's aspect ratio.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <vector>

#include "base/error.h"
#include "data/augment.h"
#include "data/geometry.h"
#include "data/input_spec.h"
#include "data/preprocess.h"
#include "tests/support/centroid.h"
#include "tests/support/files.h"

using namespace heatmark;

TEST_CASE("input size: one number is a square, WxH is width then height") {
  CHECK(parse_input_size("256") == InputSize(256, 256));
  CHECK(parse_input_size("256x320") == InputSize(256, 320));
  CHECK(parse_input_size("256X320").height == 320);
  CHECK(InputSize(256, 320).str() == "256x320");
  CHECK(InputSize(256).str() == "256");
  for (const char* bad : {"", "x", "256x", "x320", "256x320x1", "-256", "0", "25.6", "256 x 320", "abc", "256x-1"})
    CHECK_ERROR(parse_input_size(bad, "--input-size"), fmt::format("--input-size: expected a side like 256 or width x "
                                                                   "height like 256x320, got '{}'", bad));
}

TEST_CASE("input size: JSON holds a number for a square and \"WxH\" otherwise, and reads both") {
  CHECK(nlohmann::json(InputSize(256)).dump() == "256");
  CHECK(nlohmann::json(InputSize(256, 320)).dump() == "\"256x320\"");
  CHECK(nlohmann::json(320).get<InputSize>() == InputSize(320, 320));
  CHECK(nlohmann::json("256x320").get<InputSize>() == InputSize(256, 320));
  CHECK_ERROR(nlohmann::json("256y320").get<InputSize>(), "input_size: expected a side like 256");
  CHECK_ERROR(nlohmann::json(2.5).get<InputSize>(), "input_size: expected a whole number or a string");
}

TEST_CASE("input size: letterboxing into a non-square input keeps the aspect ratio and fills a matching one") {
  // An ISBI cephalogram is 1935 x 2400 (a little wider than 4:5): into 256 x 320 it fills the width.
  const Affine fit = letterbox(1935, 2400, 256, 320);
  CHECK(fit.a == doctest::Approx(256.0 / 1935));
  CHECK(fit.e == fit.a);  // one scale on both axes
  CHECK(fit.b == 0);
  CHECK(fit.apply({0, 0}).x == doctest::Approx(0));
  CHECK(fit.apply({1935, 2400}).x == doctest::Approx(256));
  CHECK(fit.apply({0, 1200}).y == doctest::Approx(160));  // centred vertically
  CHECK(fit.apply({0, 0}).y == doctest::Approx((320 - 2400 * 256.0 / 1935) / 2));
  // A 4:5 image in a 4:5 input is scaled, with no padding at all.
  const Affine exact = letterbox(1000, 1250, 256, 320);
  CHECK(exact.apply({0, 0}).x == doctest::Approx(0));
  CHECK(exact.apply({1000, 1250}).x == doctest::Approx(256));
  CHECK(exact.apply({1000, 1250}).y == doctest::Approx(320));
  // Stretching scales each axis on its own.
  const Affine squash = stretch(1935, 2400, 256, 320);
  CHECK(squash.apply({1935, 2400}).x == doctest::Approx(256));
  CHECK(squash.apply({1935, 2400}).y == doctest::Approx(320));
}

TEST_CASE("input size: a non-square round trip image -> input -> heatmap -> image is exact") {
  const double W = 256, H = 320;
  AugmentOptions options;
  options.rotation_degrees = 20;
  for (bool stretched : {false, true})
    for (uint64_t sample = 0; sample < 10; ++sample) {
      const Affine fit = stretched ? stretch(1935, 2400, W, H) : letterbox(1935, 2400, W, H);
      const Affine to_input = fit.then(draw_augmentation(options, 3, 1, sample, W, H).affine);
      const Affine back = to_input.inverse();
      for (Point p : {Point{0, 0}, Point{811.25, 1230.5}, Point{1934.9, 2399.9}}) {
        // input pixels -> heatmap pixels (stride 4) -> soft-argmax's x / width, y / height -> back
        const Point in = to_input.apply(p);
        const Point heat{in.x / 4, in.y / 4};
        const Point normalised{heat.x / (W / 4), heat.y / (H / 4)};
        const Point again = back.apply({normalised.x * W, normalised.y * H});
        CHECK(std::abs(again.x - p.x) < 1e-9);
        CHECK(std::abs(again.y - p.y) < 1e-9);
      }
    }
}

TEST_CASE("input size: augmentation turns about the centre of a non-square input") {
  AugmentOptions o;
  o.translate = 0;
  o.scale_min = o.scale_max = 1;
  for (uint64_t sample = 0; sample < 5; ++sample) {
    const Affine a = draw_augmentation(o, 9, 0, sample, 256, 320).affine;
    const Point centre = a.apply({128, 160});
    CHECK(centre.x == doctest::Approx(128));
    CHECK(centre.y == doctest::Approx(160));
  }
  // Translation is a share of each side.
  AugmentOptions shift;
  shift.rotation_degrees = 0;
  shift.scale_min = shift.scale_max = 1;
  shift.translate = 0.1;
  for (uint64_t sample = 0; sample < 20; ++sample) {
    const Affine a = draw_augmentation(shift, 9, 0, sample, 100, 300).affine;
    CHECK(std::abs(a.c) <= 10.0 + 1e-12);
    CHECK(std::abs(a.f) <= 30.0 + 1e-12);
  }
}

TEST_CASE("input size: prepare_input fills a width x height input and a dot lands where the map sends it") {
  // A 200 x 250 image (4:5) with a bright dot at (61.5, 180.5).
  Image image;
  image.width = 200;
  image.height = 250;
  image.pixels.assign(200 * 250, 0.0f);
  const Point dot{61.5, 180.5};
  for (int64_t y = 0; y < 250; ++y)
    for (int64_t x = 0; x < 200; ++x)
      image.at(0, y, x) = static_cast<float>(std::exp(-((x + 0.5 - dot.x) * (x + 0.5 - dot.x) +
                                                         (y + 0.5 - dot.y) * (y + 0.5 - dot.y)) / 18.0));
  InputSpec input;
  input.size = InputSize(64, 96);
  input.mean = {0.0f};
  input.std = {1.0f};
  const CachedImage cached = cache_image(image, input);
  // The letterbox shows it at 64 / 200 = 1 / 3.125: a box of 3 is the widest that keeps every input pixel's detail.
  CHECK(cached.factor == 3);
  std::vector<float> pixels(64 * 96);
  const Affine to_input = prepare_input(cached, input, AugmentDraw{}, false, pixels.data());
  const Point expected = to_input.apply(dot);
  const Point found = testing::centroid(pixels.data(), 64, 96);
  CHECK(found.x == doctest::Approx(expected.x).epsilon(0.01));
  CHECK(found.y == doctest::Approx(expected.y).epsilon(0.01));
}
