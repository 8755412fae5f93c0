// The image decoder (data/image.cpp): libpng and libjpeg row by row, shrunk
// on the fly. Files are written here with libpng and libjpeg; stb_image,
// which decoded them before, is the reference for the pixels.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <jpeglib.h>
#include <png.h>

#include "data/image.h"
#include "data/input_spec.h"
#include "data/preprocess.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_STATIC  // a private copy: the library's own decodes BMP only
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

using namespace heatmark;
using heatmark::testing::TempDir;
using heatmark::testing::write_file;

namespace {

// A PNG written by libpng: w x h pixels of `channels` samples of `depth`
// bits from `sample(x, y, c)` (palette indices for a palette image).
template <class Sample>
std::string make_png(int w, int h, int colour, int depth, Sample sample, bool interlaced = false) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out, [](png_structp p, png_bytep data, size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(data), n);
      },
      nullptr);
  png_set_IHDR(png, info, w, h, depth, colour, interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (colour == PNG_COLOR_TYPE_PALETTE) {
    std::vector<png_color> palette(1 << depth);
    for (size_t i = 0; i < palette.size(); ++i)
      palette[i] = {static_cast<png_byte>(i * 37), static_cast<png_byte>(255 - i * 11), static_cast<png_byte>(i * 5)};
    png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
    const png_byte alpha[2] = {0, 128};  // transparency, which the decoder ignores
    png_set_tRNS(png, info, alpha, 2, nullptr);
  }
  png_write_info(png, info);
  const int channels = png_get_channels(png, info);
  std::vector<std::vector<png_byte>> rows(h, std::vector<png_byte>(png_get_rowbytes(png, info)));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        const unsigned v = sample(x, y, c) & ((1u << depth) - 1);
        const int i = x * channels + c;
        if (depth == 16) {
          rows[y][2 * i] = static_cast<png_byte>(v >> 8);
          rows[y][2 * i + 1] = static_cast<png_byte>(v);
        } else {  // depth 1, 2, 4 pack MSB first
          const int per_byte = 8 / depth, shift = 8 - depth * (i % per_byte + 1);
          rows[y][i / per_byte] |= static_cast<png_byte>(v << shift);
        }
      }
  std::vector<png_bytep> pointers;
  for (auto& r : rows) pointers.push_back(r.data());
  if (interlaced) png_set_interlace_handling(png);
  png_write_image(png, pointers.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// A baseline JPEG written by libjpeg at quality 95: gray, or RGB with 2x2 chroma subsampling.
std::string make_jpeg(int w, int h, bool rgb, unsigned (*sample)(int, int, int)) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = w;
  cinfo.image_height = h;
  cinfo.input_components = rgb ? 3 : 1;
  cinfo.in_color_space = rgb ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<unsigned char> row(w * cinfo.input_components);
  while (cinfo.next_scanline < cinfo.image_height) {
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < cinfo.input_components; ++c)
        row[x * cinfo.input_components + c] = static_cast<unsigned char>(sample(x, cinfo.next_scanline, c));
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<char*>(buffer), size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

// What stb_image made of a file, as load_image converted it before.
Image stb_decode(const std::string& bytes) {
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(bytes.size());
  int w = 0, h = 0, n = 0;
  REQUIRE(stbi_info_from_memory(data, length, &w, &h, &n));
  const bool sixteen = stbi_is_16_bit_from_memory(data, length);
  const int want = n <= 2 ? 1 : 3;
  void* raw = sixteen ? static_cast<void*>(stbi_load_16_from_memory(data, length, &w, &h, &n, want))
                      : static_cast<void*>(stbi_load_from_memory(data, length, &w, &h, &n, want));
  REQUIRE(raw);
  Image image;
  image.width = w;
  image.height = h;
  image.channels = want;
  image.pixels.resize(static_cast<size_t>(want) * w * h);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int c = 0; c < want; ++c) {
        const int64_t i = (y * w + x) * want + c;
        image.at(c, y, x) = sixteen ? static_cast<float>(static_cast<const stbi_us*>(raw)[i]) * (1.0f / 65535.0f)
                                    : static_cast<float>(static_cast<const stbi_uc*>(raw)[i]) * (1.0f / 255.0f);
      }
  stbi_image_free(raw);
  return image;
}

// The largest difference between two images of the same shape.
float max_difference(const Image& a, const Image& b) {
  REQUIRE(a.width == b.width);
  REQUIRE(a.height == b.height);
  REQUIRE(a.channels == b.channels);
  float d = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) d = std::max(d, std::abs(a.pixels[i] - b.pixels[i]));
  return d;
}

// A load that shrinks a w x h file by exactly `factor`: a view whose fit ratio is factor + 0.5.
ImageLoad load_shrinking(int64_t w, int64_t h, int64_t factor, bool gray = false) {
  ImageLoad load;
  load.gray = gray;
  load.max_pixels = 0;
  load.view_width = static_cast<double>(w) / (static_cast<double>(factor) + 0.5);
  load.view_height = static_cast<double>(h) / (static_cast<double>(factor) + 0.5);
  return load;
}

// The decoder's stderr while `f` runs (libpng and libjpeg must print nothing).
template <class F>
std::string stderr_of(F&& f) {
  std::fflush(stderr);
  std::string name = (std::filesystem::temp_directory_path() / "heatmark-stderr-XXXXXX").string();
  const int fd = mkstemp(name.data()), saved = dup(2);
  dup2(fd, 2);
  try {
    f();
  } catch (...) {
  }
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  std::ifstream in(name);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(name.c_str());
  return text;
}

// Smooth, below 255 up to 75 x 61 pixels: JPEG's blocks stay free of ringing.
unsigned gradient(int x, int y, int c) { return static_cast<unsigned>(20 + x + 2 * y + 20 * c); }

}  // namespace

TEST_CASE("image: PNG of every colour type and depth decodes to stb_image's pixels") {
  TempDir dir;
  struct Kind {
    const char* name;
    int colour, depth;
  };
  const Kind kinds[] = {
      {"gray1", PNG_COLOR_TYPE_GRAY, 1},         {"gray2", PNG_COLOR_TYPE_GRAY, 2},
      {"gray4", PNG_COLOR_TYPE_GRAY, 4},         {"gray8", PNG_COLOR_TYPE_GRAY, 8},
      {"gray16", PNG_COLOR_TYPE_GRAY, 16},       {"rgb8", PNG_COLOR_TYPE_RGB, 8},
      {"rgb16", PNG_COLOR_TYPE_RGB, 16},         {"palette4", PNG_COLOR_TYPE_PALETTE, 4},
      {"palette8", PNG_COLOR_TYPE_PALETTE, 8},   {"gray_alpha8", PNG_COLOR_TYPE_GRAY_ALPHA, 8},
      {"gray_alpha16", PNG_COLOR_TYPE_GRAY_ALPHA, 16}, {"rgba8", PNG_COLOR_TYPE_RGB_ALPHA, 8},
      {"rgba16", PNG_COLOR_TYPE_RGB_ALPHA, 16},
  };
  for (const Kind& k : kinds)
    for (bool interlaced : {false, true}) {
      const int w = 13, h = 11;
      const std::string bytes = make_png(
          w, h, k.colour, k.depth, [](int x, int y, int c) { return static_cast<unsigned>(x * 7919 + y * 104729 + c * 65521 + x * y * 31); },
          interlaced);
      const std::string path = dir / (std::string(k.name) + (interlaced ? "_adam7.png" : ".png"));
      write_file(path, bytes);
      INFO(path);
      const Image reference = stb_decode(bytes);
      const Image image = load_image(path);
      CHECK(image.scale == 1);
      CHECK(image.original_width() == w);
      CHECK(max_difference(image, reference) == 0.0f);  // the same floats, 16 bits kept
      ImageLoad gray;
      gray.gray = true;
      CHECK(max_difference(load_image(path, gray), to_gray(reference)) == 0.0f);
    }
}

TEST_CASE("image: JPEG decodes to stb_image's pixels within two levels") {
  TempDir dir;
  for (bool rgb : {false, true}) {
    const std::string bytes = make_jpeg(37, 29, rgb, gradient);
    const std::string path = dir / (rgb ? "rgb.jpg" : "gray.jpg");
    write_file(path, bytes);
    INFO(path);
    const Image image = load_image(path);
    CHECK(image.channels == (rgb ? 3 : 1));
    CHECK(max_difference(image, stb_decode(bytes)) <= 2.0f / 255.0f);  // IDCT and colour rounding differ
  }
}

TEST_CASE("image: a shrunk decode equals box_downsample of the full decode") {
  TempDir dir;
  auto pattern = [](int x, int y, int c) { return static_cast<unsigned>(x * 9973 + y * 7127 + c * 5003 + x * y * 13); };
  const int w = 47, h = 38;
  struct File {
    std::string name, bytes;
    float tolerance;  // 0: the same floats
  };
  const std::vector<File> files = {
      {"gray8.png", make_png(w, h, PNG_COLOR_TYPE_GRAY, 8, pattern), 0},
      {"rgb16.png", make_png(w, h, PNG_COLOR_TYPE_RGB, 16, pattern), 0},
      {"palette.png", make_png(w, h, PNG_COLOR_TYPE_PALETTE, 8, pattern), 0},
      {"gray_alpha.png", make_png(w, h, PNG_COLOR_TYPE_GRAY_ALPHA, 16, pattern), 0},
      // Adam7 rows come out of order: the sums add up in another order.
      {"adam7.png", make_png(w, h, PNG_COLOR_TYPE_RGB, 16, pattern, true), 1e-6f},
  };
  for (const File& f : files) {
    write_file(dir / f.name, f.bytes);
    const Image full = load_image(dir / f.name);
    for (int64_t factor : {2, 3, 5, 8})
      for (bool gray : {false, true}) {
        INFO(f.name, " shrunk by ", factor, gray ? ", gray" : "");
        const Image small = load_image(dir / f.name, load_shrinking(w, h, factor, gray));
        CHECK(small.scale == factor);
        CHECK(small.file_width == w);
        CHECK(small.file_height == h);
        CHECK(max_difference(small, box_downsample(gray ? to_gray(full) : full, factor)) <= f.tolerance);
      }
  }
  // JPEG: factors of 2, 4 and 8 come from the IDCT (a smooth low-pass, close
  // to the box on smooth images), the rest from the box on its output.
  for (bool rgb : {false, true}) {
    const std::string path = dir / (rgb ? "rgb.jpg" : "gray.jpg");
    write_file(path, make_jpeg(75, 61, rgb, gradient));
    const Image full = load_image(path);
    for (int64_t factor : {2, 3, 4, 6, 8, 16}) {
      INFO(path, " shrunk by ", factor);
      const Image small = load_image(path, load_shrinking(75, 61, factor));
      CHECK(small.scale == factor);
      const Image box = box_downsample(full, factor);
      // Partial edge blocks average differently (the IDCT's edge block is whole), so the interior only.
      float d = 0;
      for (int64_t c = 0; c < box.channels; ++c)
        for (int64_t y = 0; y < box.height - 1; ++y)
          for (int64_t x = 0; x < box.width - 1; ++x) d = std::max(d, std::abs(small.at(c, y, x) - box.at(c, y, x)));
      CHECK(d <= (factor == 3 ? 0.0f : 4.0f / 255.0f));
    }
  }
}

TEST_CASE("image: the shrink factor follows the view, the stretch and the pixel cap") {
  ImageLoad load;
  CHECK(shrink_factor(1935, 2400, load) == 1);  // ISBI: full resolution by default
  CHECK(shrink_factor(4000, 3000, load) == 1);  // Aariz
  CHECK(shrink_factor(6000, 6000, load) == 2);  // over kMaxDecodedPixels: the smallest factor that fits
  CHECK(shrink_factor(20000, 10000, load) == 3);
  load.view_width = load.view_height = 768;
  CHECK(shrink_factor(6000, 6000, load) == 7);   // cache_image's factor for a 768 input
  CHECK(shrink_factor(1935, 2400, load) == 3);   // the larger ratio, 2400 / 768
  load.stretch = true;
  CHECK(shrink_factor(1935, 2400, load) == 2);   // per axis: the smaller one
  load.max_pixels = 0;
  load.view_width = load.view_height = 0;
  CHECK(shrink_factor(20000, 10000, load) == 1);  // no cap, no view: the file's resolution
}

TEST_CASE("image: the training cache decodes small and maps to file pixels") {
  TempDir dir;
  const int w = 700, h = 500;
  write_file(dir / "a.png", make_png(w, h, PNG_COLOR_TYPE_RGB, 16, [](int x, int y, int c) {
               return static_cast<unsigned>((x * 97 + y * 31 + c * 1000) % 65536);
             }));
  InputSpec input;
  input.size = InputSize(64);
  const Image decoded = load_image(dir / "a.png", image_load_for(input));
  CHECK(decoded.scale == 10);  // 700 / 64
  CHECK(decoded.channels == 1);
  CHECK(decoded.original_width() == w);
  // The same cache as from the full decode: the decoder did all of the shrinking.
  const CachedImage from_small = cache_image(decoded, input), from_full = cache_image(load_image(dir / "a.png"), input);
  CHECK(from_small.factor == 10);
  CHECK(from_full.factor == 10);
  CHECK(from_small.original_width == w);
  CHECK(from_small.original_height == h);
  CHECK(max_difference(from_small.image, from_full.image) == 0.0f);
  // Decoded coarser than needed (the cap), the cache shrinks only what is left.
  ImageLoad capped;
  capped.max_pixels = 60000;
  const Image coarse = load_image(dir / "a.png", capped);
  CHECK(coarse.scale == 3);
  input.size = InputSize(32);  // needs 21: 3 x 7
  CHECK(cache_image(coarse, input).factor == 21);
}

TEST_CASE("image: a 6000x6000 16-bit RGB PNG of 210 KB decodes within its output's memory") {
  // The file: zero rows, deflated a row at a time (about 210 KB).
  TempDir dir;
  const int64_t side = 6000, row_bytes = 1 + side * 6;
  std::string idat;
  {
    z_stream z{};
    REQUIRE(deflateInit(&z, 9) == Z_OK);
    std::vector<unsigned char> row(row_bytes, 0), out(1 << 16);
    for (int64_t y = 0; y < side; ++y) {
      z.next_in = row.data();
      z.avail_in = static_cast<uInt>(row.size());
      const int flush = y + 1 == side ? Z_FINISH : Z_NO_FLUSH;
      do {
        z.next_out = out.data();
        z.avail_out = static_cast<uInt>(out.size());
        deflate(&z, flush);
        idat.append(reinterpret_cast<char*>(out.data()), out.size() - z.avail_out);
      } while (z.avail_out == 0);
    }
    deflateEnd(&z);
  }
  auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  auto chunk = [&](const std::string& type, const std::string& data) {
    const std::string body = type + data;
    return be32(static_cast<uint32_t>(data.size())) + body +
           be32(static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  };
  const std::string ihdr = be32(side) + be32(side) + std::string{16, 2, 0, 0, 0};  // 16-bit RGB
  const std::string path = dir / "big.png";
  write_file(path, std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", ""));
  REQUIRE(std::ifstream(path, std::ios::ate).tellg() < 300000);

  // Decoded in a child process: its peak RSS (VmHWM, reset through
  // clear_refs just before) less its RSS before, with the output's size.
  struct Peak {
    long grown_kib = -1, output_kib = -1;
    int64_t width = 0, scale = 0;
  };
  auto measure = [&](const ImageLoad& load) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      auto status_kib = [](const char* key) {
        std::ifstream in("/proc/self/status");
        for (std::string line; std::getline(in, line);)
          if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
        return -1L;
      };
      Peak p;
      std::ofstream("/proc/self/clear_refs") << "5";  // the peak back to the current RSS
      const long before = status_kib("VmRSS:");
      try {
        const Image image = load_image(path, load);
        p.width = image.width;
        p.scale = image.scale;
        p.output_kib = static_cast<long>(image.pixels.size() * sizeof(float) / 1024);
        p.grown_kib = status_kib("VmHWM:") - before;
      } catch (...) {
      }
      (void)!write(fds[1], &p, sizeof p);
      _exit(0);
    }
    close(fds[1]);
    Peak p;
    CHECK(read(fds[0], &p, sizeof p) == static_cast<ssize_t>(sizeof p));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return p;
  };

  // No hint: kMaxDecodedPixels, so 3000x3000 RGB floats (108 MB). Before,
  // stb_image's 16-bit buffer and a full float copy peaked at 620 MB.
  const Peak capped = measure(ImageLoad{});
  INFO("default: grew ", capped.grown_kib, " KiB for ", capped.output_kib, " KiB of pixels");
  CHECK(capped.width == 3000);
  CHECK(capped.scale == 2);
  CHECK(capped.grown_kib > 0);
  CHECK(capped.grown_kib < capped.output_kib + 8 * 1024);  // the output, the file, a few rows
  // A 768 gray training input: the cache's 858x858, under 3 MB.
  InputSpec input;
  input.size = InputSize(768);
  const Peak cached = measure(image_load_for(input));
  INFO("cache: grew ", cached.grown_kib, " KiB for ", cached.output_kib, " KiB of pixels");
  CHECK(cached.width == 858);
  CHECK(cached.grown_kib < cached.output_kib + 8 * 1024);
}

TEST_CASE("image: corrupt PNG and JPEG data give one line naming the file, and nothing on stderr") {
  TempDir dir;
  const std::string png = make_png(40, 30, PNG_COLOR_TYPE_GRAY, 8, [](int x, int y, int) { return unsigned(x * y); });
  std::string bad_crc = png;
  bad_crc[29] ^= 1;  // in IHDR's CRC
  write_file(dir / "crc.png", bad_crc);
  CHECK_ERROR(load_image(dir / "crc.png"), "crc.png: cannot decode the image: PNG: IHDR: CRC error");
  const std::string jpeg = make_jpeg(64, 48, true, gradient);
  write_file(dir / "cut.jpg", jpeg.substr(0, jpeg.size() / 2));
  std::string printed = stderr_of([&] {
    CHECK_ERROR(load_image(dir / "cut.jpg"), "cut.jpg: cannot decode the image: JPEG: Premature end of JPEG file");
  });
  CHECK(printed.empty());
  // Junk before the end marker is a warning in libjpeg: decoded, silently.
  write_file(dir / "junk.jpg", jpeg.substr(0, jpeg.size() - 2) + "junk" + jpeg.substr(jpeg.size() - 2));
  printed = stderr_of([&] { CHECK(load_image(dir / "junk.jpg").width == 64); });
  CHECK(printed.empty());
  // Not JPEG data after the header: libjpeg's error, not an exit().
  std::string garbled = jpeg;
  for (size_t i = garbled.size() / 2; i < garbled.size() - 2; ++i) garbled[i] = static_cast<char>(0xFF);
  write_file(dir / "garbled.jpg", garbled);
  printed = stderr_of([&] { CHECK_ERROR(load_image(dir / "garbled.jpg"), "garbled.jpg: cannot decode the image: JPEG: "); });
  CHECK(printed.empty());
}
