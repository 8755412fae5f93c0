// Images: decoding (PNG, JPEG, BMP through stb_image; 8-bit grayscale or RGB,
// 16-bit PNG at full depth), PNG writing, and integer box downsampling.
// Pixels are float in [0, 1], planar (channel, row, column).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heatmark {

struct Image {
  int64_t width = 0, height = 0, channels = 1;  // channels: 1 (gray) or 3 (RGB)
  std::vector<float> pixels;                    // channels * height * width values in [0, 1]

  float& at(int64_t c, int64_t y, int64_t x) { return pixels[(c * height + y) * width + x]; }
  float at(int64_t c, int64_t y, int64_t x) const { return pixels[(c * height + y) * width + x]; }
};

// Largest image accepted: larger files are refused before decoding (a
// malicious header cannot make us allocate gigabytes).
inline constexpr int64_t kMaxImageSide = 20000;
inline constexpr int64_t kMaxImagePixels = int64_t{200} * 1000 * 1000;

// Decodes an image file. Alpha channels are dropped; two-channel
// (gray + alpha) becomes gray. Throws heatmark::Error naming the file and the
// reason (not an image, truncated, too large, unsupported).
Image load_image(const std::string& path);

// Writes an 8-bit PNG (values clamped to [0, 1]) atomically.
void save_png(const Image& image, const std::string& path);

// Averages factor x factor blocks (edge blocks over the pixels they have):
// a point at x in the input is at x / factor in the output.
Image box_downsample(const Image& image, int64_t factor);

// A single-channel copy (the mean of RGB), or the image itself if gray.
Image to_gray(const Image& image);

}  // namespace heatmark
