// The data library: the folder format and its errors, images, geometry round
// trips and augmentation draws.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "base/error.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "data/geometry.h"
#include "data/image.h"
#include "tensor/atomic_file.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using heatmark::testing::error_of;
using heatmark::testing::TempDir;
using heatmark::testing::write_file;
namespace fs = std::filesystem;

namespace {

Image gray(int64_t w, int64_t h, float value = 0.0f) {
  Image image;
  image.width = w;
  image.height = h;
  image.pixels.assign(w * h, value);
  return image;
}

}  // namespace

// ---- the folder format ---------------------------------------------------------------

TEST_CASE("data: the folder layout reads coordinates, names, spacing and ids") {
  TempDir dir;
  fs::create_directories(dir.path / "images");
  save_png(gray(40, 30), dir / "images/a.png");
  save_png(gray(40, 30), dir / "images/b.png");
  write_file(dir / "landmarks.csv", "image,x1,y1,x2,y2\nimages/a.png,1.5,2.5,10,20\n\"images/b.png\",3,4,5.25,6\n");
  write_file(dir / "landmarks.txt", "Sella\nNasion\n");
  write_file(dir / "spacing.csv", "image,mm_per_px_x,mm_per_px_y\nimages/a.png,0.1,0.2\n");
  const Dataset d = load_dataset(dir.path.string());
  CHECK(d.format == "folder");
  CHECK(d.landmark_names == std::vector<std::string>{"Sella", "Nasion"});
  REQUIRE(d.samples.size() == 2);
  CHECK(d.samples[0].landmarks[0].x == 1.5);
  CHECK(d.samples[1].landmarks[1].x == 5.25);
  CHECK(d.samples[0].mm_per_px_y == 0.2);
  CHECK_FALSE(d.samples[1].has_spacing());
  CHECK(d.samples[1].id == "b");

  Dataset subset = d;
  select_landmarks(subset, "Nasion");
  CHECK(subset.landmark_names == std::vector<std::string>{"Nasion"});
  CHECK(subset.samples[0].landmarks[0].x == 10);
  Dataset by_index = d;
  select_landmarks(by_index, "2, 1");
  CHECK(by_index.landmark_names == std::vector<std::string>{"Nasion", "Sella"});
  Dataset bad = d;
  CHECK(error_of([&] { select_landmarks(bad, "Menton"); }).find("'Menton' is neither a landmark name nor an index 1-2") !=
        std::string::npos);
}

TEST_CASE("data: bad annotation files give one-line errors naming the file and line") {
  TempDir dir;
  save_png(gray(8, 8), dir / "a.png");
  const std::string header = "image,x1,y1\n";
  struct Case {
    std::string csv, expected;
  };
  const std::vector<Case> cases = {
      {header + "a.png,1,2\nmissing.png,3,4\n", "landmarks.csv line 3: image 'missing.png' does not exist"},
      {header + "a.png,1,abc\n", "landmarks.csv line 2: column 'y1' is 'abc', not a number"},
      {header + "a.png,nan,2\n", "landmarks.csv line 2: column 'x1' is nan, not a finite number"},
      {header + "a.png,inf,2\n", "not a finite number"},
      {header + "a.png,1\n", "landmarks.csv line 2: expected 3 columns, got 2"},
      {header + "a.png,1,2,3\n", "landmarks.csv line 2: expected 3 columns, got 4"},
      {"img,x1,y1\na.png,1,2\n", "landmarks.csv line 1: expected the header image,x1,y1,...,xK,yK"},
      {"image,x1\n", "expected the header"},
      {header, "no images listed"},
      {header + "\"a.png,1,2\n", "unterminated quoted field"},
  };
  for (const Case& c : cases) {
    write_file(dir / "landmarks.csv", c.csv);
    const std::string message = error_of([&] { load_dataset(dir.path.string()); });
    INFO(c.csv, " -> ", message);
    CHECK(message.find(c.expected) != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
  write_file(dir / "landmarks.csv", header + "a.png,1,2\n");
  write_file(dir / "landmarks.txt", "one\ntwo\n");
  CHECK(error_of([&] { load_dataset(dir.path.string()); }).find("2 names for the 1 landmarks") != std::string::npos);
  fs::remove(dir / "landmarks.txt");
  write_file(dir / "spacing.csv", "image,mm_per_px_x,mm_per_px_y\na.png,0.1,-1\n");
  CHECK(error_of([&] { load_dataset(dir.path.string()); }).find("spacing.csv line 2: spacing must be positive") !=
        std::string::npos);
  CHECK(error_of([&] { load_dataset((dir.path / "nope").string()); }).find("does not exist") != std::string::npos);
}

TEST_CASE("data: the folder layout takes a byte-order mark, a spacing.csv without its header, and warns of gaps") {
  TempDir dir;
  save_png(gray(8, 8), dir / "a.png");
  save_png(gray(8, 8), dir / "b.png");
  save_png(gray(8, 8), dir / "c, \"quoted\".png");
  const std::string bom = "\xEF\xBB\xBF";
  write_file(dir / "landmarks.csv", bom + "image,x1,y1\na.png,1,2\nb.png,3,4\n\"c, \"\"quoted\"\".png\",5,6\n");
  write_file(dir / "landmarks.txt", bom + "S\xC3\xA9lla\r\n");
  // No header: the first row is data, and keeps its spacing.
  write_file(dir / "spacing.csv", bom + "a.png,0.1,0.2\n./b.png,0.3,0.3\n\"c, \"\"quoted\"\".png\",0.5,0.5\n");
  Dataset d = load_dataset(dir.path.string());
  REQUIRE(d.samples.size() == 3);
  CHECK(d.landmark_names == std::vector<std::string>{"S\xC3\xA9lla"});
  CHECK(d.samples[0].mm_per_px_x == 0.1);
  CHECK(d.samples[0].mm_per_px_y == 0.2);
  CHECK(d.samples[1].mm_per_px_x == 0.3);  // "./b.png" is b.png
  CHECK(d.samples[2].mm_per_px_x == 0.5);
  CHECK(d.samples[2].landmarks[0].x == 5);
  CHECK(d.warnings.empty());

  // With its header, the same; a header of the wrong width is refused.
  write_file(dir / "spacing.csv", "image,mm_per_px_x,mm_per_px_y\na.png,0.1,0.2\n");
  d = load_dataset(dir.path.string());
  CHECK(d.samples[0].mm_per_px_x == 0.1);
  // Some images without spacing leave every mm metric out: a warning names them.
  REQUIRE(d.warnings.size() == 1);
  CHECK(d.warnings[0].find("2 of 3 images have no pixel spacing (b.png, c, \"quoted\".png)") != std::string::npos);
  CHECK(d.warnings[0].find("--mm-per-px") != std::string::npos);
  // ... unless a default spacing fills them in.
  DatasetOptions with_default;
  with_default.default_mm_per_px = 0.1;
  CHECK(load_dataset(dir.path.string(), with_default).warnings.empty());
  // A spacing.csv that names none of the images says so.
  write_file(dir / "spacing.csv", "image,mm_per_px_x,mm_per_px_y\nimages/a.png,0.1,0.2\n");
  d = load_dataset(dir.path.string());
  REQUIRE(d.warnings.size() == 1);
  CHECK(d.warnings[0].find("spacing.csv: names none of the 3 images of landmarks.csv (one it names is 'images/a.png')") !=
        std::string::npos);
  write_file(dir / "spacing.csv", "image,mm_per_px\na.png,0.1,0.2\n");
  CHECK_ERROR(load_dataset(dir.path.string()),
              "spacing.csv line 1: expected the header image,mm_per_px_x,mm_per_px_y, got 2 columns");
  write_file(dir / "spacing.csv", "a.png,0.1,0.2\n./a.png,0.1,0.2\n");
  CHECK_ERROR(load_dataset(dir.path.string()), "spacing.csv line 2: image './a.png' is listed twice (also on line 1)");
  fs::remove(dir / "spacing.csv");
  // A landmarks.csv without its header is refused saying so.
  write_file(dir / "landmarks.csv", "a.png,1,2\n");
  CHECK_ERROR(load_dataset(dir.path.string()),
              "landmarks.csv line 1: the header image,x1,y1,...,xK,yK is missing (this line is data)");
}

TEST_CASE("data: the folder layout refuses text that is not UTF-8, names with line breaks and paths outside it") {
  TempDir dir;
  fs::create_directories(dir / "data");
  save_png(gray(8, 8), dir / "data/a.png");
  save_png(gray(8, 8), dir / "outside.png");
  const std::string data = dir / "data";
  write_file(dir / "data/landmarks.csv", "image,x1,y1\na.png,1,2\n");
  write_file(dir / "data/landmarks.txt", "S\xE9lla\n");
  CHECK_ERROR(load_dataset(data), "data/landmarks.txt line 1: not valid UTF-8 (byte 0xe9 at column 2); save the file as UTF-8");
  fs::remove(dir / "data/landmarks.txt");
  write_file(dir / "data/landmarks.csv", "image,x1,y1\na.png,1,2\nM\xE9nton.png,1,2\n");
  CHECK_ERROR(load_dataset(data), "data/landmarks.csv line 3: not valid UTF-8 (byte 0xe9 at column 2)");
  write_file(dir / "data/landmarks.csv", std::string("\xFF\xFEi\0m\0", 6));
  CHECK_ERROR(load_dataset(data), "data/landmarks.csv is UTF-16 text; save it as UTF-8");
  write_file(dir / "data/landmarks.csv", "image,x1,y1\n\"a\n.png\",1,2\n");
  CHECK_ERROR(load_dataset(data), "data/landmarks.csv line 2: image name 'a\\n.png' holds a line break");
  write_file(dir / "data/landmarks.csv", "image,x1,y1\na.png,\"1\n\",2\n");
  CHECK_ERROR(load_dataset(data), "data/landmarks.csv line 2: column 'x1' is '1\\n', not a number");

  write_file(dir / "data/landmarks.csv", "image,x1,y1\na.png,1,2\n../outside.png,3,4\n");
  CHECK_ERROR(load_dataset(data), "data/landmarks.csv line 3: image '../outside.png' is outside the dataset folder",
              "(give --allow-outside-paths to allow it)");
  write_file(dir / "data/landmarks.csv", "image,x1,y1\n" + dir / "outside.png" + ",3,4\n");
  CHECK_ERROR(load_dataset(data), "data/landmarks.csv line 2: image '" + dir / "outside.png" + "' is outside");
  DatasetOptions allow;
  allow.allow_outside_paths = true;
  const Dataset d = load_dataset(data, allow);
  REQUIRE(d.samples.size() == 1);
  CHECK(d.samples[0].image == dir / "outside.png");
  fs::create_directory_symlink(dir.path, dir / "data/up");
  write_file(dir / "data/landmarks.csv", "image,x1,y1\nup/outside.png,3,4\n");
  CHECK_ERROR(load_dataset(data), "line 2: image 'up/outside.png' leads outside the dataset folder through a symbolic link");
  CHECK(load_dataset(data, allow).samples.size() == 1);
}

// ---- images ---------------------------------------------------------------------------

namespace {
// A 16-bit grayscale PNG, stored uncompressed (stb_image_write writes 8-bit only).
std::string png16(int w, int h, const std::vector<uint16_t>& values) {
  auto be32 = [](uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  auto crc = [](const std::string& bytes) {
    uint32_t c = 0xffffffffu;
    for (unsigned char b : bytes) {
      c ^= b;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return c ^ 0xffffffffu;
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    return be32(static_cast<uint32_t>(data.size())) + type + data + be32(crc(type + data));
  };
  std::string raw;
  for (int y = 0; y < h; ++y) {
    raw += '\0';  // filter: none
    for (int x = 0; x < w; ++x) raw += std::string{char(values[y * w + x] >> 8), char(values[y * w + x] & 0xff)};
  }
  uint32_t a = 1, b = 0;  // adler32
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  std::string z = "\x78\x01";  // zlib header, then one stored deflate block
  z += '\x01';
  z += std::string{char(raw.size() & 0xff), char(raw.size() >> 8), char(~raw.size() & 0xff), char((~raw.size() >> 8) & 0xff)};
  z += raw + be32((b << 16) | a);
  const std::string ihdr = be32(w) + be32(h) + std::string{16, 0, 0, 0, 0};  // 16-bit gray
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", "");
}
}  // namespace

TEST_CASE("data: images: 8-bit and 16-bit PNG, RGB, and clear errors for files that are not images") {
  TempDir dir;
  Image rgb;
  rgb.width = 3;
  rgb.height = 2;
  rgb.channels = 3;
  rgb.pixels = {0, 1, 0.5f, 0, 0, 0, /*G*/ 1, 0, 0, 0, 0, 0, /*B*/ 0, 0, 0, 1, 1, 1};
  save_png(rgb, dir / "rgb.png");
  const Image back = load_image(dir / "rgb.png");
  CHECK(back.channels == 3);
  CHECK(back.at(0, 0, 1) == 1.0f);
  CHECK(back.at(0, 0, 2) == doctest::Approx(128 / 255.0));
  CHECK(to_gray(back).at(0, 1, 0) == doctest::Approx(1 / 3.0));

  write_file_atomically(dir / "deep.png", png16(2, 1, {1000, 65535}));
  const Image deep = load_image(dir / "deep.png");
  CHECK(deep.at(0, 0, 0) == doctest::Approx(1000 / 65535.0).epsilon(1e-6));  // full depth, not 8-bit
  CHECK(deep.at(0, 0, 1) == 1.0f);

  const std::string png = read_file(dir / "rgb.png");
  write_file_atomically(dir / "truncated.png", png.substr(0, png.size() / 2));
  CHECK(error_of([&] { load_image(dir / "truncated.png"); }).find("truncated.png: cannot decode") != std::string::npos);
  write_file(dir / "notes.png", "hello, I am text");
  CHECK(error_of([&] { load_image(dir / "notes.png"); }).find("notes.png: not a supported image") != std::string::npos);
  write_file_atomically(dir / "huge.png", png16(2, 1, {0, 0}).replace(16, 8, std::string("\x00\x00\x75\x30\x00\x00\x75\x30", 8)));  // 30000 x 30000
  const std::string huge = error_of([&] { load_image(dir / "huge.png"); });
  INFO(huge);
  CHECK(huge.find("huge.png") != std::string::npos);
  CHECK(huge.find("image of 30000x30000 pixels is larger than the") != std::string::npos);
}

TEST_CASE("data: images: box downsampling averages blocks, keeping x -> x / f") {
  Image image = gray(5, 4);
  for (int64_t y = 0; y < 4; ++y)
    for (int64_t x = 0; x < 5; ++x) image.at(0, y, x) = static_cast<float>(x + 10 * y);
  const Image small = box_downsample(image, 2);
  CHECK(small.width == 3);
  CHECK(small.height == 2);
  CHECK(small.at(0, 0, 0) == doctest::Approx((0 + 1 + 10 + 11) / 4.0));
  CHECK(small.at(0, 1, 2) == doctest::Approx((24 + 34) / 2.0));  // a partial edge block
}

// ---- geometry -------------------------------------------------------------------------

TEST_CASE("data: geometry: letterbox, augmentation, heatmap stride and back recover points to 1e-4 px") {
  const Affine fit = letterbox(640, 800, 256, 256);
  CHECK(fit.apply({0, 0}).x == doctest::Approx(25.6));  // 640 * 0.32 = 204.8 wide, centred
  CHECK(fit.apply({640, 800}).y == doctest::Approx(256));
  const Affine squash = stretch(640, 800, 256, 256);
  CHECK(squash.apply({640, 0}).x == doctest::Approx(256));
  AugmentOptions options;
  for (uint64_t sample = 0; sample < 20; ++sample) {
    const Affine to_input = fit.then(draw_augmentation(options, 7, 3, sample, 256, 256).affine);
    const Affine back = to_input.inverse();
    for (Point p : {Point{0, 0}, Point{123.456, 654.321}, Point{639.9, 0.1}}) {
      // original -> input -> heatmap (stride 4) -> normalised -> heatmap -> input -> original
      const Point in = to_input.apply(p);
      const Point heat{in.x / 4, in.y / 4};
      const Point normalised{heat.x / 64, heat.y / 64};
      const Point again = back.apply({normalised.x * 256, normalised.y * 256});
      CHECK(std::abs(again.x - p.x) < 1e-4);
      CHECK(std::abs(again.y - p.y) < 1e-4);
    }
  }
}

TEST_CASE("data: geometry: dots drawn at landmarks land on the transformed landmarks after warping") {
  // A 200x160 image with small bright Gaussian dots at three landmarks.
  const std::vector<Point> points{{40.3, 50.7}, {150.2, 30.9}, {100.0, 120.5}};
  Image image = gray(200, 160);
  for (int64_t y = 0; y < 160; ++y)
    for (int64_t x = 0; x < 200; ++x)
      for (const Point& p : points)
        image.at(0, y, x) += static_cast<float>(std::exp(-((x + 0.5 - p.x) * (x + 0.5 - p.x) + (y + 0.5 - p.y) * (y + 0.5 - p.y)) / 8.0));
  AugmentOptions options;
  options.rotation_degrees = 30;
  for (uint64_t sample = 0; sample < 5; ++sample) {
    const Affine map = letterbox(200, 160, 128, 128).then(draw_augmentation(options, 1, 0, sample, 128, 128).affine);
    std::vector<float> out(128 * 128);
    warp_bilinear(image, map, 128, 128, out.data());
    for (const Point& p : points) {
      const Point expected = map.apply(p);
      if (expected.x < 8 || expected.x > 120 || expected.y < 8 || expected.y > 120) continue;  // augmented away
      // The centroid of the dot in a window around where it should be.
      double sx = 0, sy = 0, total = 0;
      for (int64_t y = static_cast<int64_t>(expected.y) - 6; y <= static_cast<int64_t>(expected.y) + 6; ++y)
        for (int64_t x = static_cast<int64_t>(expected.x) - 6; x <= static_cast<int64_t>(expected.x) + 6; ++x) {
          const double v = out[y * 128 + x];
          sx += v * (x + 0.5);
          sy += v * (y + 0.5);
          total += v;
        }
      INFO("sample ", sample);
      CHECK(std::abs(sx / total - expected.x) < 0.1);
      CHECK(std::abs(sy / total - expected.y) < 0.1);
    }
  }
}

TEST_CASE("data: augmentation is seeded, reproducible, different per epoch, and within its ranges") {
  AugmentOptions o;
  const AugmentDraw a = draw_augmentation(o, 5, 2, 9, 256, 256), b = draw_augmentation(o, 5, 2, 9, 256, 256);
  const AugmentDraw c = draw_augmentation(o, 5, 3, 9, 256, 256);
  CHECK(a.affine.a == b.affine.a);
  CHECK(a.gamma == b.gamma);
  CHECK(a.affine.a != c.affine.a);
  for (uint64_t s = 0; s < 200; ++s) {
    const AugmentDraw d = draw_augmentation(o, 1, 0, s, 256, 256);
    const double scale = std::hypot(d.affine.a, d.affine.b);
    CHECK(scale >= 0.9 - 1e-12);
    CHECK(scale <= 1.1 + 1e-12);
    CHECK(std::abs(std::atan2(d.affine.b, d.affine.a)) <= 15 * M_PI / 180 + 1e-12);
    CHECK(d.affine.a > 0);  // no flips by default
  }
  o.enabled = false;
  const AugmentDraw none = draw_augmentation(o, 1, 0, 0, 256, 256);
  CHECK(none.affine.a == 1);
  CHECK(none.affine.c == 0);
  std::vector<float> values{0.2f, 0.7f};
  apply_intensity(none, values.data(), 2);
  CHECK(values == std::vector<float>{0.2f, 0.7f});
}
