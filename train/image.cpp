#include "train/image.h"

#include <algorithm>
#include <cmath>

#include "tensor/atomic_file.h"
#include "tensor/error.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#define STBI_NO_HDR
#define STBI_NO_PSD
#define STBI_NO_PIC
#define STBI_NO_PNM
#define STBI_NO_GIF
#define STBI_NO_TGA
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace heatmark {

Image load_image(const std::string& path) {
  const std::string bytes = read_file(path);
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX));
  int w = 0, h = 0, n = 0;
  if (!stbi_info_from_memory(data, length, &w, &h, &n))
    fail("{}: not a supported image (PNG, JPEG or BMP): {}", path, stbi_failure_reason());
  HM_CHECK(w > 0 && h > 0 && w <= kMaxImageSide && h <= kMaxImageSide && int64_t{w} * h <= kMaxImagePixels,
           "{}: image of {}x{} pixels is larger than the {}x{} ({} megapixel) limit", path, w, h, kMaxImageSide,
           kMaxImageSide, kMaxImagePixels / 1000000);
  HM_CHECK(n >= 1 && n <= 4, "{}: {} channels are not supported", path, n);

  const bool sixteen = stbi_is_16_bit_from_memory(data, length);
  const int want = n <= 2 ? 1 : 3;  // drop alpha
  void* raw = sixteen ? static_cast<void*>(stbi_load_16_from_memory(data, length, &w, &h, &n, want))
                      : static_cast<void*>(stbi_load_from_memory(data, length, &w, &h, &n, want));
  if (!raw) fail("{}: cannot decode the image: {}", path, stbi_failure_reason());

  Image image;
  image.width = w;
  image.height = h;
  image.channels = want;
  image.pixels.resize(static_cast<size_t>(want) * w * h);
  const float scale = sixteen ? 1.0f / 65535.0f : 1.0f / 255.0f;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int c = 0; c < want; ++c) {
        const int64_t i = (y * w + x) * want + c;  // stb's interleaved layout
        const float v = sixteen ? static_cast<const stbi_us*>(raw)[i] : static_cast<const stbi_uc*>(raw)[i];
        image.at(c, y, x) = v * scale;
      }
  stbi_image_free(raw);
  return image;
}

void save_png(const Image& image, const std::string& path) {
  HM_CHECK(image.channels == 1 || image.channels == 3, "save_png {}: {} channels", path, image.channels);
  std::vector<unsigned char> interleaved(image.pixels.size());
  for (int64_t y = 0; y < image.height; ++y)
    for (int64_t x = 0; x < image.width; ++x)
      for (int64_t c = 0; c < image.channels; ++c)
        interleaved[(y * image.width + x) * image.channels + c] =
            static_cast<unsigned char>(std::lround(std::clamp(image.at(c, y, x), 0.0f, 1.0f) * 255.0f));
  std::string png;
  auto append = [](void* context, void* bytes, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(bytes), size);
  };
  HM_CHECK(stbi_write_png_to_func(append, &png, static_cast<int>(image.width), static_cast<int>(image.height),
                                  static_cast<int>(image.channels), interleaved.data(),
                                  static_cast<int>(image.width * image.channels)),
           "save_png {}: encoding failed", path);
  write_file_atomically(path, png);
}

Image box_downsample(const Image& image, int64_t factor) {
  if (factor <= 1) return image;
  Image out;
  out.channels = image.channels;
  out.width = (image.width + factor - 1) / factor;
  out.height = (image.height + factor - 1) / factor;
  out.pixels.resize(out.channels * out.width * out.height);
  for (int64_t c = 0; c < out.channels; ++c)
    for (int64_t y = 0; y < out.height; ++y)
      for (int64_t x = 0; x < out.width; ++x) {
        double sum = 0;
        int64_t count = 0;
        for (int64_t yy = y * factor; yy < std::min(image.height, (y + 1) * factor); ++yy)
          for (int64_t xx = x * factor; xx < std::min(image.width, (x + 1) * factor); ++xx, ++count)
            sum += image.at(c, yy, xx);
        out.at(c, y, x) = static_cast<float>(sum / count);
      }
  return out;
}

Image to_gray(const Image& image) {
  if (image.channels == 1) return image;
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.pixels.resize(image.width * image.height);
  for (int64_t y = 0; y < image.height; ++y)
    for (int64_t x = 0; x < image.width; ++x)
      out.at(0, y, x) = (image.at(0, y, x) + image.at(1, y, x) + image.at(2, y, x)) / 3.0f;
  return out;
}

}  // namespace heatmark
