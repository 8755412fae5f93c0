// Images: decoding (PNG through libpng, JPEG through libjpeg-turbo, BMP
// through stb_image; 8-bit grayscale or RGB, 16-bit PNG at full depth), PNG
// writing, and integer box downsampling.
// Pixels are float in [0, 1], planar (channel, row, column).
//
// Decoding is bounded by what it returns, not by what the header claims: PNG
// and JPEG are decoded a row at a time and box-downsampled as the rows come,
// so no full-resolution copy of the file's pixels exists (see load_image).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heatmark {

struct Image {
  int64_t width = 0, height = 0, channels = 1;  // channels: 1 (gray) or 3 (RGB)
  std::vector<float> pixels;                    // channels * height * width values in [0, 1]
  // File pixels per stored pixel: each stored pixel is the mean of a scale x
  // scale block of the file's, so a point at x in file pixels is at x / scale
  // here (box_downsample's convention).
  int64_t scale = 1;
  // The file's own size; 0 for an image made in memory (then width * scale).
  int64_t file_width = 0, file_height = 0;

  int64_t original_width() const { return file_width > 0 ? file_width : width * scale; }
  int64_t original_height() const { return file_height > 0 ? file_height : height * scale; }

  float& at(int64_t c, int64_t y, int64_t x) { return pixels[(c * height + y) * width + x]; }
  float at(int64_t c, int64_t y, int64_t x) const { return pixels[(c * height + y) * width + x]; }
};

// Largest image accepted: larger files are refused before decoding (a
// malicious header cannot make us allocate gigabytes).
inline constexpr int64_t kMaxImageSide = 20000;
inline constexpr int64_t kMaxImagePixels = int64_t{200} * 1000 * 1000;
// Most pixels a decoded image holds unless the caller asks for fewer: a file
// with more (up to kMaxImagePixels) is shrunk by the smallest integer factor
// that fits. 25 megapixels never shrinks a real cephalogram (ISBI's are
// 1935x2400, Aariz's up to about 4000x3000).
inline constexpr int64_t kMaxDecodedPixels = int64_t{25} * 1000 * 1000;

// What the caller needs from an image file.
struct ImageLoad {
  bool gray = false;  // one channel, the mean of RGB (as to_gray), decoded so directly
  // The frame the caller shows the image in, in pixels (0 x 0: the file's own
  // resolution). The image is fitted to it with its aspect kept (letterbox:
  // the larger of file_width / view_width and file_height / view_height file
  // pixels per shown pixel) or, with `stretch`, per axis (the smaller ratio).
  // The decoder shrinks by that ratio rounded down, so there is still at
  // least one stored pixel per shown pixel.
  double view_width = 0, view_height = 0;
  bool stretch = false;
  // At most this many stored pixels, whatever the header claims: shrunk
  // further by the smallest integer factor that fits.
  int64_t max_pixels = kMaxDecodedPixels;
};

// The integer factor load_image shrinks a file of width x height by.
int64_t shrink_factor(int64_t width, int64_t height, const ImageLoad& load);

// Decodes an image file, box-downsampled by shrink_factor (Image::scale).
// Alpha channels are dropped; two-channel (gray + alpha) becomes gray.
// Throws heatmark::Error naming the file and the reason (not an image,
// truncated, too large, unsupported, out of memory).
//
// Memory: the file's bytes, the returned pixels (4 bytes per stored sample),
// a few rows of the file and of the output (O(width)), and, for the
// exceptions, an Adam7-interlaced PNG shrunk by more than 1 (8 bytes more per
// stored sample: its rows come out of order), a progressive JPEG (libjpeg's
// coefficients, 2 bytes per file sample, refused past 256 MB) and a BMP
// (stb_image's 1 or 3 bytes per file pixel; its size is bounded by the file's).
Image load_image(const std::string& path, const ImageLoad& load = {});

// Writes an 8-bit PNG (values clamped to [0, 1]) atomically.
void save_png(const Image& image, const std::string& path);

// Averages factor x factor blocks (edge blocks over the pixels they have):
// a point at x in the input is at x / factor in the output.
Image box_downsample(const Image& image, int64_t factor);

// A single-channel copy (the mean of RGB), or the image itself if gray.
Image to_gray(const Image& image);

}  // namespace heatmark
