// Inference: the three heatmap decoders, the Detector API and the metrics.
// `heatmark predict` and `heatmark eval` end to end: tests/tools/test_cli.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "data/dataset.h"
#include "data/image.h"
#include "hrnet/model_file.h"
#include "infer/decode.h"
#include "infer/detector.h"
#include "infer/metrics.h"
#include "infer/overlay.h"
#include "tensor/cpu/render_gaussian_heatmaps.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using heatmark::testing::TempDir;

namespace {

// A Gaussian of the training kind centred at (x, y), heatmap pixels.
std::vector<float> gaussian_map(int64_t H, int64_t W, float x, float y, double sigma) {
  std::vector<float> map(H * W), weight(1);
  const float coords[2] = {x, y}, visible = 1;
  cpu::render_gaussian_heatmaps(HeatmapShape{1, 1, H, W}, coords, &visible, sigma, map.data(), weight.data());
  return map;
}

double distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

TEST_CASE("infer: decode: soft-argmax and DARK find a Gaussian's centre to sub-pixel accuracy, argmax to its quarter-pixel grid") {
  const int64_t H = 48, W = 64;
  for (const Point truth : {Point{20.3, 17.8}, Point{40.9, 30.1}, Point{31.5, 24.5}, Point{12.05, 35.7}}) {
    for (const double sigma : {2.0, 3.0}) {
      const std::vector<float> map = gaussian_map(H, W, static_cast<float>(truth.x), static_cast<float>(truth.y), sigma);
      INFO("truth ", truth.x, ", ", truth.y, " sigma ", sigma);
      const Decoded soft = decode_heatmap(map.data(), H, W, Decoder::SoftArgmax, 20.0, sigma);
      const Decoded dark = decode_heatmap(map.data(), H, W, Decoder::Dark, 20.0, sigma);
      const Decoded arg = decode_heatmap(map.data(), H, W, Decoder::Argmax, 20.0, sigma);
      // softmax(beta * map) is sharper than the map itself, which pulls the
      // estimate slightly toward the hottest pixel's centre.
      CHECK(distance(soft.point, truth) < 0.08);
      CHECK(distance(dark.point, truth) < 0.02);
      // argmax: the hottest pixel's centre, a quarter pixel toward the hotter neighbour.
      auto quarter = [](double t) {
        const double centre = std::floor(t) + 0.5;
        return centre + (t > centre ? 0.25 : t < centre ? -0.25 : 0.0);
      };
      CHECK(arg.point.x == doctest::Approx(quarter(truth.x)).epsilon(1e-9));
      CHECK(arg.point.y == doctest::Approx(quarter(truth.y)).epsilon(1e-9));
      // The confidence is the peak: near 1 for a target-like map.
      CHECK(soft.confidence == *std::max_element(map.begin(), map.end()));
      CHECK(soft.confidence > 0.85);
    }
  }
}

TEST_CASE("infer: decode: DARK stays sane at the border and on a flat map, and unknown decoders are refused") {
  const int64_t H = 32, W = 32;
  const std::vector<float> corner = gaussian_map(H, W, 0.7f, 31.2f, 2.0);
  const Decoded d = decode_heatmap(corner.data(), H, W, Decoder::Dark, 20.0, 2.0);
  CHECK(distance(d.point, {0.7, 31.2}) < 0.5);  // falls back to the argmax rule near the edge
  const std::vector<float> flat(H * W, 0.0f);
  const Decoded f = decode_heatmap(flat.data(), H, W, Decoder::Dark, 20.0, 2.0);
  CHECK(f.confidence == 0.0);
  CHECK(std::isfinite(f.point.x));
  CHECK(std::isfinite(f.point.y));
  // A flat map has no preferred place: soft-argmax gives the centre.
  const Decoded s = decode_heatmap(flat.data(), H, W, Decoder::SoftArgmax, 20.0, 2.0);
  CHECK(s.point.x == doctest::Approx(16.0));
  CHECK(s.point.y == doctest::Approx(16.0));
  CHECK_THROWS_WITH_AS(parse_decoder("mean"), doctest::Contains("unknown decoder 'mean'"), Error);
  for (const Decoder dec : {Decoder::SoftArgmax, Decoder::Argmax, Decoder::Dark}) CHECK(parse_decoder(decoder_name(dec)) == dec);
}

TEST_CASE("infer: the detector on a batch gives the same landmarks as one image at a time, in original-image pixels") {
  TempDir dir;
  HRNetConfig c = hrnet_preset("hrnet_w18_small");
  c.input_size = 64;
  c.num_landmarks = 2;
  c.landmark_names = {"A", "B"};
  HRNet model(c);
  save_model(model, dir / "model.safetensors");
  Detector detector(dir / "model.safetensors");
  CHECK(detector.config().landmark_names == c.landmark_names);
  std::vector<Image> images;
  for (int i = 0; i < 3; ++i) {
    Image im;
    im.width = 96 + 16 * i;  // different sizes and aspect ratios in one batch
    im.height = 80;
    im.channels = 1;
    im.pixels.resize(static_cast<size_t>(im.width * im.height));
    for (size_t p = 0; p < im.pixels.size(); ++p) im.pixels[p] = static_cast<float>((p * 37 + i * 11) % 101) / 100.0f;
    images.push_back(im);
  }
  const auto batched = detector.predict(images);
  REQUIRE(batched.size() == 3);
  for (size_t i = 0; i < images.size(); ++i) {
    const std::vector<Landmark> single = detector.predict(images[i]);
    REQUIRE(single.size() == 2);
    for (size_t k = 0; k < 2; ++k) {
      CHECK(single[k].name == c.landmark_names[k]);
      CHECK(single[k].x == doctest::Approx(batched[i][k].x).epsilon(1e-4));
      CHECK(single[k].y == doctest::Approx(batched[i][k].y).epsilon(1e-4));
      // Letterboxed: the whole input maps back onto the image, and a little beyond on the padded axis.
      CHECK(single[k].x > -1);
      CHECK(single[k].x < images[i].width + 1);
    }
  }
  CHECK_THROWS_WITH_AS(Detector(dir / "missing.safetensors"), doctest::Contains("missing.safetensors"), Error);
}

TEST_CASE("infer: an image the decoder shrank for the detector gives its landmarks in file pixels, as the full one") {
  TempDir dir;
  HRNetConfig c = hrnet_preset("hrnet_w18_small");
  c.input_size = 64;
  c.num_landmarks = 2;
  c.landmark_names = {"A", "B"};
  HRNet model(c);
  save_model(model, dir / "model.safetensors");
  Detector detector(dir / "model.safetensors");
  Image im;
  im.width = 200;
  im.height = 160;
  im.pixels.resize(200 * 160);
  for (int64_t y = 0; y < 160; ++y)
    for (int64_t x = 0; x < 200; ++x) im.at(0, y, x) = static_cast<float>((x * 3 + y * 5) % 97) / 96.0f;
  save_png(im, dir / "a.png");
  // Stage 1 alone shows it at 64 / 200: the decoder shrinks by 3, as the cache would.
  const Image shrunk = load_image(dir / "a.png", detector.image_load());
  CHECK(shrunk.scale == 3);
  CHECK(shrunk.width == 67);
  const std::vector<Landmark> from_shrunk = detector.predict(shrunk), from_full = detector.predict(load_image(dir / "a.png"));
  for (size_t k = 0; k < 2; ++k) {
    CHECK(from_shrunk[k].x == doctest::Approx(from_full[k].x).epsilon(1e-6));
    CHECK(from_shrunk[k].y == doctest::Approx(from_full[k].y).epsilon(1e-6));
  }
}

TEST_CASE("infer: metrics: MRE in pixels and anisotropic mm, SDR, per landmark, and the constant predictor") {
  Sample a{"a.png", "a", {{10, 10}, {20, 20}}, 0.1, 0.2}, b{"b.png", "b", {{0, 0}, {5, 5}}, 0.1, 0.2};
  const std::vector<const Sample*> samples{&a, &b};
  const std::vector<std::vector<Point>> predictions{{{13, 14}, {20, 20}}, {{0, 30}, {5, 5}}};
  const Metrics m = compute_metrics(predictions, samples);
  CHECK(m.mre_px == doctest::Approx((5 + 0 + 30 + 0) / 4.0));
  // mm: (3*0.1, 4*0.2) -> 0.8544; (0, 30*0.2) = 6 mm.
  CHECK(m.mre_mm == doctest::Approx((std::hypot(0.3, 0.8) + 6.0) / 4.0));
  CHECK(m.sdr[0] == doctest::Approx(75.0));  // 3 of 4 within 2 mm
  CHECK(m.sdr[3] == doctest::Approx(75.0));
  CHECK(m.landmark_mre_px[1] == 0);
  Sample c = a;
  c.mm_per_px_x = 0;
  CHECK_FALSE(compute_metrics(predictions, {&c, &b}).has_mm());
  const auto constant = constant_predictions(samples, {{100, 100}, {50, 50}}, 1, {{200, 100}});
  // Mean normalised position of landmark 0: (0.1 + 0) / 2 = 0.05 in x and y.
  CHECK(constant[0][0].x == doctest::Approx(10));
  CHECK(constant[0][0].y == doctest::Approx(5));
}

namespace {
// The black pixels of an overlay drawn on a white image: the labels' outlines, nothing else.
int64_t label_outline_pixels(const Image& overlay) {
  int64_t n = 0;
  for (int64_t y = 0; y < overlay.height; ++y)
    for (int64_t x = 0; x < overlay.width; ++x)
      n += overlay.at(0, y, x) == 0 && overlay.at(1, y, x) == 0 && overlay.at(2, y, x) == 0;
  return n;
}
}  // namespace

TEST_CASE("infer: overlay labels move inside the image at its edges, never clipped") {
  Image white;
  white.width = 200;
  white.height = 120;
  white.pixels.assign(static_cast<size_t>(white.width * white.height), 1.0f);
  const auto outline_at = [&](double x, double y) {
    return label_outline_pixels(draw_overlay(white, {Landmark{"Gonion (long name)", x, y, 0.9}}));
  };
  const int64_t whole = outline_at(60, 60);  // room on every side
  REQUIRE(whole > 100);
  // At each edge and corner the whole label is still drawn: as many outline pixels as in the middle.
  for (const std::pair<double, double>& at : std::vector<std::pair<double, double>>{
           {199, 60}, {0, 60}, {100, 0}, {100, 119}, {199, 119}, {0, 0}}) {
    const double x = at.first, y = at.second;  // not a structured binding: CHECK_MESSAGE captures them
    const int64_t drawn = outline_at(x, y);
    CHECK_MESSAGE(drawn == whole, "landmark at (", x, ", ", y, "): ", drawn, " outline pixels, ", whole, " in the middle");
  }
}
