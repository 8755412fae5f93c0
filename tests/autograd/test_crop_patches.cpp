// crop_patches, the batched patch sampler of a coarse-to-fine refiner: exact
// cases (identity, whole-pixel shifts, fill), agreement with the host warp
// (data/geometry.h warp_bilinear through the inverse map), and the refusals,
// on the CPU and under the emulator.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>

#include "autograd/ops.h"
#include "base/error.h"
#include "data/geometry.h"
#include "tensor/kernels.h"

using namespace heatmark;

namespace {

const Device kDevices[] = {Device::cpu(), Device::emu()};

std::vector<float> random_pixels(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> v(count);
  for (float& x : v) x = uniform(rng);
  return v;
}

// A patch row: image index b, then the patch -> image map.
std::vector<float> row(int b, const Affine& m) {
  return {static_cast<float>(b), static_cast<float>(m.a), static_cast<float>(m.b), static_cast<float>(m.c),
          static_cast<float>(m.d), static_cast<float>(m.e), static_cast<float>(m.f)};
}

Tensor patch_rows(const std::vector<std::vector<float>>& rows, Device device) {
  std::vector<float> flat;
  for (const std::vector<float>& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return Tensor::from_vector(flat, {static_cast<int64_t>(rows.size()), kPatchRowSize}, device);
}

// The maps exactly as the op sees them, rounded to float like the rows.
Affine as_float(const Affine& m) {
  const std::vector<float> r = row(0, m);
  return {r[1], r[2], r[3], r[4], r[5], r[6]};
}

}  // namespace

TEST_CASE("crop patches: an identity map reproduces each image exactly") {
  const int64_t B = 2, C = 3, H = 5, W = 7;
  const std::vector<float> pixels = random_pixels(B * C * H * W, 1);
  for (Device d : kDevices) {
    INFO("device ", d.str());
    const Tensor images = Tensor::from_vector(pixels, {B, C, H, W}).to(d);
    // Image 1 first: the row's index, not its position, picks the image.
    const Tensor out = crop_patches(images, patch_rows({row(1, Affine{}), row(0, Affine{})}, d), H, W, 0.5f);
    CHECK(out.shape() == Shape({2, C, H, W}));
    const std::vector<float> got = out.to_vector();
    const int64_t image = C * H * W;
    CHECK(std::vector<float>(got.begin(), got.begin() + image) ==
          std::vector<float>(pixels.begin() + image, pixels.end()));
    CHECK(std::vector<float>(got.begin() + image, got.end()) ==
          std::vector<float>(pixels.begin(), pixels.begin() + image));
  }
}

TEST_CASE("crop patches: a translation by whole pixels is an exact shift, with fill where it leaves the image") {
  const int64_t H = 6, W = 8, out_h = 4, out_w = 5;
  const float fill = -3.0f;
  const std::vector<float> pixels = random_pixels(H * W, 2);
  for (Device d : kDevices) {
    INFO("device ", d.str());
    const Tensor images = Tensor::from_vector(pixels, {1, 1, H, W}).to(d);
    // Patch pixel (i, j) reads image pixel (i - 1, j + 4): the first row and the last column are off it.
    const std::vector<float> got =
        crop_patches(images, patch_rows({row(0, Affine::translate(4, -1))}, d), out_h, out_w, fill).to_vector();
    for (int64_t i = 0; i < out_h; ++i)
      for (int64_t j = 0; j < out_w; ++j) {
        INFO("patch pixel (", i, ", ", j, ")");
        const int64_t y = i - 1, x = j + 4;
        const bool inside = y >= 0 && y < H && x >= 0 && x < W;
        CHECK(got[i * out_w + j] == (inside ? pixels[y * W + x] : fill));
      }
  }
}

TEST_CASE("crop patches: a half-pixel shift averages neighbours, and mixes in fill at the border") {
  const int64_t H = 3, W = 4;
  const float fill = 1.0f;
  const std::vector<float> pixels = random_pixels(H * W, 3);
  for (Device d : kDevices) {
    INFO("device ", d.str());
    const Tensor images = Tensor::from_vector(pixels, {1, 1, H, W}).to(d);
    const std::vector<float> got =
        crop_patches(images, patch_rows({row(0, Affine::translate(0.5, 0))}, d), H, W, fill).to_vector();
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; ++j) {
        const float right = j + 1 < W ? pixels[i * W + j + 1] : fill;
        CHECK(got[i * W + j] == doctest::Approx(0.5 * (pixels[i * W + j] + right)).epsilon(1e-6));
      }
  }
}

TEST_CASE("crop patches: a patch wholly outside the image, however far, is all fill") {
  const Tensor images = Tensor::from_vector(random_pixels(2 * 5 * 5, 4), {1, 2, 5, 5});
  for (Device d : kDevices) {
    INFO("device ", d.str());
    // Just past each border (the left one with its last column exactly one pixel out), and so far
    // out that a cast of the coordinates to an integer index would overflow.
    const Tensor patches = patch_rows({row(0, Affine::translate(5, 0)), row(0, Affine::translate(-3, 0)),
                                       row(0, Affine::translate(0, 5)), row(0, Affine::translate(1e30, -1e30)),
                                       row(0, Affine::scale(1e25, 1e25))},
                                      d);
    const std::vector<float> got = crop_patches(images.to(d), patches, 3, 3, 0.75f).to_vector();
    CHECK(got == std::vector<float>(5 * 2 * 3 * 3, 0.75f));
  }
}

TEST_CASE("crop patches: rotated and scaled patches agree with warp_bilinear through the inverse map") {
  const int64_t H = 19, W = 23, out_h = 9, out_w = 11;
  const float fill = 0.25f;
  for (int64_t C : {1, 3}) {
    // Two images; patch maps rotate and scale about points inside, near and beyond the borders.
    Image sources[2];
    std::vector<float> pixels;
    for (int b = 0; b < 2; ++b) {
      sources[b] = {W, H, C, random_pixels(C * H * W, static_cast<uint32_t>(10 + 2 * C + b))};
      pixels.insert(pixels.end(), sources[b].pixels.begin(), sources[b].pixels.end());
    }
    const struct {
      int b;
      double degrees, scale, cx, cy;
    } placements[] = {{0, 30, 1.5, 11.3, 9.7}, {1, -75, 0.6, 2.1, 17.4}, {1, 180, 1.0, 24.0, -1.5},
                      {0, 12.5, 2.2, 20.25, 3.75}, {1, 0, 1.0, 6.5, 8.5}};
    std::vector<std::vector<float>> rows;
    std::vector<Affine> maps;  // patch -> image, as float like the rows
    for (const auto& p : placements) {
      // Rotate and scale about the patch centre, then move that centre to (cx, cy).
      const Affine m = Affine::rotate_scale_about(p.degrees, p.scale, out_w / 2.0, out_h / 2.0)
                           .then(Affine::translate(p.cx - out_w / 2.0, p.cy - out_h / 2.0));
      maps.push_back(as_float(m));
      rows.push_back(row(p.b, m));
    }
    for (Device d : kDevices) {
      const Tensor images = Tensor::from_vector(pixels, {2, C, H, W}).to(d);
      const std::vector<float> got = crop_patches(images, patch_rows(rows, d), out_h, out_w, fill).to_vector();
      for (size_t n = 0; n < rows.size(); ++n) {
        INFO("C ", C, ", device ", d.str(), ", patch ", n);
        std::vector<float> expected(C * out_h * out_w);
        warp_bilinear(sources[placements[n].b], maps[n].inverse(), out_w, out_h, expected.data(), fill);
        // Rounding only: the map inverted and re-applied in double, and the float arithmetic of the
        // kernels, which puts source points up to a few 1e-6 pixels off (measured: below 1e-6 here).
        double worst = 0;
        for (size_t k = 0; k < expected.size(); ++k)
          worst = std::max(worst, std::abs(double(got[n * expected.size() + k]) - expected[k]));
        CHECK(worst < 3e-6);
      }
    }
  }
}

TEST_CASE("crop patches: no patches give an empty batch of patches") {
  for (Device d : kDevices) {
    const Tensor out = crop_patches(Tensor::zeros({2, 3, 4, 4}, d), Tensor::zeros({0, kPatchRowSize}, d), 5, 6);
    CHECK(out.shape() == Shape({0, 3, 5, 6}));
  }
}

TEST_CASE("crop patches: a row whose image index is out of range or not an integer is refused, naming it") {
  for (Device d : kDevices) {
    INFO("device ", d.str());
    const Tensor images = Tensor::zeros({2, 1, 4, 4}, d);
    for (float b : {2.0f, -1.0f, 0.5f, std::numeric_limits<float>::quiet_NaN()}) {
      INFO("index ", b);
      std::vector<std::vector<float>> rows{row(1, Affine{}), row(0, Affine{})};
      rows[1][0] = b;
      const std::string expected = fmt::format(
          "crop_patches: row 1 of patches has image index {}, which must be an integer in [0, 2) for images of shape "
          "(2, 1, 4, 4)",
          b);
      CHECK_THROWS_WITH_AS(crop_patches(images, patch_rows(rows, d), 3, 3), doctest::Contains(expected.c_str()), Error);
    }
  }
}

TEST_CASE("crop patches: a row with a non-finite affine coefficient is refused, naming the row and the coefficient") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (Device d : kDevices) {
    INFO("device ", d.str());
    const Tensor images = Tensor::zeros({1, 1, 4, 4}, d);
    std::vector<std::vector<float>> rows{row(0, Affine{}), row(0, Affine{})};
    rows[1][2] = inf;  // bb
    CHECK_THROWS_WITH_AS(
        crop_patches(images, patch_rows(rows, d), 3, 3),
        doctest::Contains("crop_patches: row 1 of patches has a non-finite affine coefficient bb = inf"), Error);
    rows[1][2] = 0;
    rows[0][6] = nan;  // f
    CHECK_THROWS_WITH_AS(
        crop_patches(images, patch_rows(rows, d), 3, 3),
        doctest::Contains("crop_patches: row 0 of patches has a non-finite affine coefficient f = nan"), Error);
  }
}

TEST_CASE("crop patches: wrong shapes, sizes and devices are refused, naming the tensors and shapes") {
  const Tensor images = Tensor::zeros({2, 1, 4, 4});
  const Tensor patches = patch_rows({row(0, Affine{})}, Device::cpu());
  CHECK_THROWS_WITH_AS(crop_patches(Tensor::zeros({1, 4, 4}), patches, 3, 3),
                       doctest::Contains("crop_patches: images must be 4-D (B, C, H, W), got shape (1, 4, 4)"), Error);
  CHECK_THROWS_WITH_AS(crop_patches(images, Tensor::zeros({kPatchRowSize}), 3, 3),
                       doctest::Contains("crop_patches: patches must be 2-D (N, 7)"), Error);
  CHECK_THROWS_WITH_AS(
      crop_patches(images, Tensor::zeros({3, 6}), 3, 3),
      doctest::Contains("crop_patches: patches must have shape (N, 7), rows [b, a, bb, c, d, e, f], got (3, 6)"),
      Error);
  CHECK_THROWS_WITH_AS(crop_patches(images, patches, 0, 3), doctest::Contains("crop_patches: a 0x3 patch is invalid"),
                       Error);
  CHECK_THROWS_WITH_AS(crop_patches(images, patches.to(Device::emu()), 3, 3),
                       doctest::Contains("crop_patches: patches is on emu but the input is on cpu"), Error);
  Tensor named = Tensor::zeros({3, 6});
  named.set_name("refiner.patches");
  CHECK_THROWS_WITH_AS(crop_patches(images, named, 3, 3), doctest::Contains("'refiner.patches' must have shape (N, 7)"),
                       Error);
}

TEST_CASE("crop patches: inputs that require grad are refused, since the op has no backward") {
  Tensor images = Tensor::zeros({1, 1, 4, 4});
  Tensor patches = patch_rows({row(0, Affine{})}, Device::cpu());
  images.set_requires_grad(true);
  CHECK_THROWS_WITH_AS(crop_patches(images, patches, 3, 3),
                       doctest::Contains("crop_patches: images requires grad, but crop_patches has no backward"),
                       Error);
  const Tensor out = crop_patches(images.detach(), patches, 3, 3);
  CHECK_FALSE(out.requires_grad());
  patches.set_requires_grad(true);
  CHECK_THROWS_WITH_AS(crop_patches(images.detach(), patches, 3, 3),
                       doctest::Contains("crop_patches: patches requires grad"), Error);
}
