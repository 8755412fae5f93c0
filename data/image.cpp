#include "data/image.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/error.h"
#include "tensor/atomic_file.h"

namespace {
// stb_image copies zero bytes to a null pointer for an empty first PNG IDAT
// chunk: harmless in practice, but undefined behaviour. Its memcpy skips empty copies.
void* stb_memcpy(void* to, const void* from, size_t n) { return n ? std::memcpy(to, from, n) : to; }
}  // namespace

#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#define STBI_NO_HDR
#define STBI_NO_PSD
#define STBI_NO_PIC
#define STBI_NO_PNM
#define STBI_NO_GIF
#define STBI_NO_TGA
// Zeroed allocations: a JPEG scan may use a Huffman table that no DHT segment
// defined, and stb_image 2.27 then decodes with whatever its malloc left there
// (reading out of bounds); with zeroed tables every code decodes to 0.
#define STBI_MALLOC(size) std::calloc(1, size)
#define STBI_REALLOC(pointer, size) std::realloc(pointer, size)
#define STBI_FREE(pointer) std::free(pointer)
#define memcpy stb_memcpy
#include <stb/stb_image.h>
#undef memcpy
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace heatmark {

namespace {

// Bytes past the end read as 0, as stb_image reads them.
uint32_t read_u32(const std::string& bytes, size_t at, bool big_endian) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    const size_t k = at + (big_endian ? i : 3 - i);
    v = (v << 8) | (k < bytes.size() ? static_cast<unsigned char>(bytes[k]) : 0u);
  }
  return v;
}

// No image file holds more pixels per byte than a 1-bit PNG at deflate's
// best ratio (8 x 1032); JPEG stays under 512 and BMP under 8. A header that
// claims more is corrupt, or the file truncated (stb_image decodes a JPEG cut
// short as if the rest were there).
constexpr int64_t kMaxPixelsPerByte = 16384;

// stb_image 2.27 (Debian bookworm's) writes past its Huffman size table when a
// JPEG DHT segment gives one table more than 256 codes (fixed upstream in
// 2.28). Refuses those first, walking the segments as stb_image does: junk
// and fill bytes skipped up to a marker, entropy-coded data up to the next
// marker other than FF 00 (stuffing) or a restart. Valid files never fail it.
void check_jpeg_huffman_tables(const std::string& b, const std::string& path) {
  const auto at = [&](size_t i) -> unsigned { return i < b.size() ? static_cast<unsigned char>(b[i]) : 0; };
  size_t i = 0;
  while (at(i) == 0xFF) ++i;
  if (i == 0 || at(i) != 0xD8) return;  // not a JPEG (no SOI)
  for (++i; i < b.size();) {
    if (at(i++) != 0xFF) continue;
    while (at(i) == 0xFF) ++i;
    const unsigned marker = at(i++);
    if (marker == 0xD9) return;                                                             // EOI
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // no length
    const size_t end = i + std::max<size_t>(2, at(i) << 8 | at(i + 1));
    if (marker == 0xC4) {  // DHT: tables of a class/id byte, 16 code counts, then the codes
      for (size_t t = i + 2; t < end;) {
        size_t codes = 0;
        for (size_t k = 1; k <= 16; ++k) codes += at(t + k);
        HM_CHECK(codes <= 256,
                 "{}: cannot decode the image: Corrupt JPEG (a Huffman table at byte {} has {} codes, more than 256)",
                 path, i - 2, codes);
        t += 17 + codes;
      }
    }
    i = end;
  }
}

// stb_image 2.27 grows its buffer for a PNG's IDAT data to the length the
// chunk claims before reading it: a 150-byte file claiming a 1.6 GB chunk makes
// it allocate 2 GB, only to fail on the missing data. Refuses chunks (up to
// IEND, as stb_image reads them) longer than what is left of the file.
void check_png_chunk_lengths(const std::string& b, const std::string& path) {
  if (b.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return;
  for (size_t at = 8; at + 8 <= b.size();) {
    const uint64_t length = read_u32(b, at, true);
    HM_CHECK(length <= b.size() - at - 8,
             "{}: cannot decode the image: Corrupt PNG (the chunk at byte {} claims {} bytes, {} are left)", path, at,
             length, b.size() - at - 8);
    if (b.compare(at + 4, 4, "IEND") == 0) return;
    at += 12 + length;  // length, type, data, CRC
  }
}

}  // namespace

Image load_image(const std::string& path) {
  const std::string bytes = read_file(path);
  check_jpeg_huffman_tables(bytes, path);
  check_png_chunk_lengths(bytes, path);
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX));
  // The size the header claims, refused before anything is allocated for it.
  auto check_size = [&](int64_t w, int64_t h) {
    HM_CHECK(w > 0 && h > 0, "{}: invalid image size {}x{} in the header", path, w, h);
    HM_CHECK(w <= kMaxImageSide && h <= kMaxImageSide && w * h <= kMaxImagePixels,
             "{}: image of {}x{} pixels is larger than the {}x{} ({} megapixel) limit", path, w, h, kMaxImageSide,
             kMaxImageSide, kMaxImagePixels / 1000000);
    HM_CHECK(w * h <= kMaxPixelsPerByte * static_cast<int64_t>(bytes.size()),
             "{}: the header claims {}x{} pixels, more than a file of {} bytes can hold (truncated or corrupt)", path, w,
             h, bytes.size());
  };
  // stb_image calls a PNG of over 2^30 pixel bytes "not of any known type": its size first.
  if (bytes.size() >= 24 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && bytes.compare(12, 4, "IHDR") == 0)
    check_size(read_u32(bytes, 16, true), read_u32(bytes, 20, true));
  int w = 0, h = 0, n = 0;
  if (!stbi_info_from_memory(data, length, &w, &h, &n))
    fail("{}: not a supported image (PNG, JPEG or BMP): {}", path, stbi_failure_reason());
  const bool bmp = bytes.size() >= 30 && bytes[0] == 'B' && bytes[1] == 'M';
  if (bmp && h < 0 && h != INT32_MIN) h = -h;  // a top-down BMP: stb_image gives its height as stored, negative
  check_size(w, h);
  HM_CHECK(n >= 1 && n <= 4, "{}: {} channels are not supported", path, n);
  if (bmp) {
    // stb_image fills the rows a truncated BMP lacks with black. Its pixels
    // are uncompressed (stb_image refuses RLE), so their size is known: from
    // the data offset, h rows of w pixels, each row padded to 4 bytes.
    const uint32_t offset = read_u32(bytes, 10, false), header_size = read_u32(bytes, 14, false);
    const uint32_t bits = read_u32(bytes, header_size == 12 ? 24 : 28, false) & 0xffff;
    const uint64_t needed = offset + (static_cast<uint64_t>(w) * bits + 31) / 32 * 4 * static_cast<uint64_t>(h);
    HM_CHECK(bytes.size() >= needed, "{}: truncated BMP: {}x{} pixels of {} bits need {} bytes, the file has {}", path,
             w, h, bits, needed, bytes.size());
  }

  const bool sixteen = stbi_is_16_bit_from_memory(data, length);
  const int want = n <= 2 ? 1 : 3;  // drop alpha
  // stb_image sets no reason for some failures (a PNG's deflate block of type
  // 3): clear the one left by format probing, which may name another format.
  stbi__g_failure_reason = nullptr;
  void* raw = sixteen ? static_cast<void*>(stbi_load_16_from_memory(data, length, &w, &h, &n, want))
                      : static_cast<void*>(stbi_load_from_memory(data, length, &w, &h, &n, want));
  if (!raw) {
    const char* reason = stbi_failure_reason();
    fail("{}: cannot decode the image: {}", path, reason ? reason : "corrupt image data");
  }

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
