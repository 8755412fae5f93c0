#include "data/image.h"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "base/error.h"
#include "tensor/atomic_file.h"

// stb_image decodes BMP only (PNG goes through libpng, JPEG through libjpeg).
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#define STBI_ONLY_BMP
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace heatmark {

namespace {

// Bytes past the end read as 0.
uint32_t read_u32(const std::string& bytes, size_t at, bool big_endian) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    const size_t k = at + (big_endian ? i : 3 - i);
    v = (v << 8) | (k < bytes.size() ? static_cast<unsigned char>(bytes[k]) : 0u);
  }
  return v;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// No image file holds more pixels per byte than a 1-bit PNG at deflate's
// best ratio (8 x 1032); JPEG stays under 512 and BMP under 8. A header that
// claims more is corrupt, or the file truncated.
constexpr int64_t kMaxPixelsPerByte = 16384;
// What libjpeg may allocate for the coefficients of a progressive JPEG (it
// keeps all of them, 2 bytes per sample, until the last scan): more is refused.
constexpr long kMaxJpegWorkingBytes = 256L << 20;

const char kPngSignature[] = "\x89PNG\r\n\x1a\n";

// A PNG chunk claiming more bytes than the file has left is corrupt or cut
// short: said so before libpng reads past the end (up to IEND).
void check_png_chunk_lengths(const std::string& b, const std::string& path) {
  for (size_t at = 8; at + 8 <= b.size();) {
    const uint64_t length = read_u32(b, at, true);
    HM_CHECK(length <= b.size() - at - 8,
             "{}: cannot decode the image: Corrupt PNG (the chunk at byte {} claims {} bytes, {} are left)", path, at,
             length, b.size() - at - 8);
    if (b.compare(at + 4, 4, "IEND") == 0) return;
    at += 12 + length;  // length, type, data, CRC
  }
}

// The size the header claims, refused before anything is allocated for it.
void check_size(int64_t w, int64_t h, size_t file_bytes, const std::string& path) {
  HM_CHECK(w > 0 && h > 0, "{}: invalid image size {}x{} in the header", path, w, h);
  HM_CHECK(w <= kMaxImageSide && h <= kMaxImageSide && w * h <= kMaxImagePixels,
           "{}: image of {}x{} pixels is larger than the {}x{} ({} megapixel) limit", path, w, h, kMaxImageSide,
           kMaxImageSide, kMaxImagePixels / 1000000);
  HM_CHECK(w * h <= kMaxPixelsPerByte * static_cast<int64_t>(file_bytes),
           "{}: the header claims {}x{} pixels, more than a file of {} bytes can hold (truncated or corrupt)", path, w,
           h, file_bytes);
}

// The stored image of a w x h file shrunk by `factor`, allocated: its pixels
// are the one allocation that grows with the image.
Image allocate_image(int64_t w, int64_t h, int64_t channels, int64_t factor) {
  Image image;
  image.file_width = w;
  image.file_height = h;
  image.scale = factor;
  image.width = ceil_div(w, factor);
  image.height = ceil_div(h, factor);
  image.channels = channels;
  image.pixels.resize(static_cast<size_t>(channels * image.width * image.height));
  return image;
}

// Box-downsamples rows of source pixels into `out` as a decoder produces
// them, so no full-resolution copy exists: each stored pixel is the mean of a
// factor x factor block (edge blocks over the pixels they have), summed in
// box_downsample's order (row by row, left to right, in double), so both give
// the same floats. Rows come top to bottom, except Adam7's (`any_order`):
// then the sums of every stored row are kept until finish().
class BoxShrinker {
 public:
  BoxShrinker(Image& out, int64_t source_width, int64_t source_height, int64_t factor, bool any_order)
      : out_(out), w_(source_width), h_(source_height), f_(factor), any_order_(any_order) {
    HM_CHECK(ceil_div(w_, f_) == out.width && ceil_div(h_, f_) == out.height, "image shrinker: {}x{} / {} is not {}x{}",
             w_, h_, f_, out.width, out.height);
    if (f_ > 1) sums_.assign(static_cast<size_t>(out.channels * out.width * (any_order ? out.height : 1)), 0.0);
  }

  // Source row y: n pixels at x0, x0 + step, ..., `channels` values each (1
  // or 3; 3 into a gray image become their mean, as to_gray computes it).
  void add(int64_t y, int64_t x0, int64_t step, int64_t n, const float* p, int64_t channels) {
    const int64_t C = out_.channels, W = out_.width;
    auto value = [&](int64_t i, int64_t c) {
      const float* q = p + i * channels;
      return channels == C ? q[c] : (q[0] + q[1] + q[2]) / 3.0f;
    };
    if (f_ == 1) {
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < n; ++i) out_.at(c, y, x0 + i * step) = value(i, c);
      return;
    }
    const int64_t oy = y / f_;
    double* row = sums_.data() + (any_order_ ? oy * C * W : 0);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < n; ++i) row[c * W + (x0 + i * step) / f_] += value(i, c);
    if (!any_order_ && (y % f_ == f_ - 1 || y == h_ - 1)) store(oy, row);
  }

  void finish() {
    if (any_order_ && f_ > 1)
      for (int64_t oy = 0; oy < out_.height; ++oy) store(oy, sums_.data() + oy * out_.channels * out_.width);
  }

 private:
  void store(int64_t oy, double* row) {
    const int64_t W = out_.width, rows = std::min(h_, (oy + 1) * f_) - oy * f_;
    for (int64_t c = 0; c < out_.channels; ++c)
      for (int64_t ox = 0; ox < W; ++ox) {
        const int64_t count = rows * (std::min(w_, (ox + 1) * f_) - ox * f_);
        out_.at(c, oy, ox) = static_cast<float>(row[c * W + ox] / static_cast<double>(count));
        row[c * W + ox] = 0;
      }
  }

  Image& out_;
  int64_t w_, h_, f_;
  bool any_order_;
  std::vector<double> sums_;  // one stored row (all of them when any_order), channel-major
};

// 8- or 16-bit samples (16-bit big-endian, as PNG stores them) to [0, 1].
void to_floats(const unsigned char* in, int64_t n, bool sixteen, float* out) {
  if (sixteen) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[2 * i] << 8 | in[2 * i + 1]) * (1.0f / 65535.0f);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]) * (1.0f / 255.0f);
  }
}

// Sizes of the decode under way, for an out-of-memory message.
struct Decoding {
  int64_t width = 0, height = 0, channels = 0, factor = 1;
};

// ---- PNG (libpng) -----------------------------------------------------------------------

// libpng reports errors by longjmp (a C++ exception cannot unwind its C
// frames): everything its callbacks touch lives here, and the code between
// setjmp and libpng's longjmp keeps no object with a destructor.
struct PngContext {
  const std::string* bytes = nullptr;
  size_t at = 0;
  bool out_of_memory = false;
  char message[256] = {};
};

void png_read_bytes(png_structp png, png_bytep out, size_t n) {
  auto* c = static_cast<PngContext*>(png_get_io_ptr(png));
  if (n > c->bytes->size() - c->at) png_error(png, "the file ends in the middle of the image");
  std::memcpy(out, c->bytes->data() + c->at, n);
  c->at += n;
}

void png_on_error(png_structp png, png_const_charp message) {
  auto* c = static_cast<PngContext*>(png_get_error_ptr(png));
  std::snprintf(c->message, sizeof c->message, "%s", message);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}  // benign (ancillary chunks): nothing on stderr

png_voidp png_on_malloc(png_structp png, png_alloc_size_t n) {
  void* p = std::malloc(n);
  if (!p) static_cast<PngContext*>(png_get_mem_ptr(png))->out_of_memory = true;
  return p;
}

void png_on_free(png_structp, png_voidp p) { std::free(p); }

// Runs `step` (libpng calls) with libpng's error jump set: false after a libpng error.
template <class Step>
bool png_guarded(png_structp png, Step&& step) {
  if (setjmp(png_jmpbuf(png))) return false;
  step();
  return true;
}

Image decode_png(const std::string& bytes, const std::string& path, const ImageLoad& load, Decoding& d) {
  PngContext context;
  context.bytes = &bytes;
  png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &context, png_on_error, png_on_warning, &context,
                                             png_on_malloc, png_on_free);
  if (!png) throw std::bad_alloc();
  png_infop info = png_create_info_struct(png);
  struct Release {
    png_structp* png;
    png_infop* info;
    ~Release() { png_destroy_read_struct(png, info, nullptr); }
  } release{&png, &info};
  if (!info) throw std::bad_alloc();
  const auto failed = [&] {
    if (context.out_of_memory) throw std::bad_alloc();
    fail("{}: cannot decode the image: PNG: {}", path, context.message);
  };

  png_uint_32 w = 0, h = 0;
  int depth = 0, colour = 0, interlace = 0, channels = 0;
  size_t row_bytes = 0;
  if (!png_guarded(png, [&] {
        png_set_read_fn(png, &context, png_read_bytes);
        png_set_user_limits(png, kMaxImageSide, kMaxImageSide);
        png_read_info(png, info);
        png_get_IHDR(png, info, &w, &h, &depth, &colour, &interlace, nullptr, nullptr);
        // To 8 or 16-bit gray or RGB, as stb_image gave them: palettes
        // expanded (transparency ignored), gray below 8 bits scaled up, alpha dropped.
        if (colour == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
        if (colour == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
        // (libpng's palette expansion adds alpha from tRNS; stripped too.)
        if ((colour & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
        png_read_update_info(png, info);
        channels = png_get_channels(png, info);
        depth = png_get_bit_depth(png, info);
        row_bytes = png_get_rowbytes(png, info);
      }))
    failed();
  check_size(w, h, bytes.size(), path);
  HM_CHECK((channels == 1 || channels == 3) && (depth == 8 || depth == 16), "{}: {} channels of {} bits are not supported",
           path, channels, depth);
  d = {w, h, load.gray ? 1 : channels, shrink_factor(w, h, load)};
  Image image = allocate_image(w, h, d.channels, d.factor);
  // Adam7: seven passes of sub-images, each row a sparse row of the image;
  // libpng's own deinterlacing would need the whole image.
  const bool adam7 = interlace == PNG_INTERLACE_ADAM7;
  BoxShrinker shrink(image, w, h, d.factor, adam7);
  std::vector<unsigned char> raw(row_bytes);
  std::vector<float> row(static_cast<size_t>(w) * channels);
  if (!png_guarded(png, [&] {
        for (int pass = 0; pass < (adam7 ? 7 : 1); ++pass) {
          const int64_t cols = adam7 ? PNG_PASS_COLS(w, pass) : w, rows = adam7 ? PNG_PASS_ROWS(h, pass) : h;
          if (cols == 0 || rows == 0) continue;  // libpng skips empty passes too
          const int64_t x0 = adam7 ? PNG_PASS_START_COL(pass) : 0, dx = adam7 ? PNG_PASS_COL_OFFSET(pass) : 1;
          const int64_t y0 = adam7 ? PNG_PASS_START_ROW(pass) : 0, dy = adam7 ? PNG_PASS_ROW_OFFSET(pass) : 1;
          for (int64_t r = 0; r < rows; ++r) {
            png_read_row(png, raw.data(), nullptr);
            to_floats(raw.data(), cols * channels, depth == 16, row.data());
            shrink.add(y0 + r * dy, x0, dx, cols, row.data(), channels);
          }
        }
      }))
    failed();
  shrink.finish();
  return image;
}

// ---- JPEG (libjpeg-turbo) ---------------------------------------------------------------

// As for libpng: errors longjmp here, and nothing reaches stderr.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  int code = 0;
};

[[noreturn]] void jpeg_on_error(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegErrors*>(cinfo->err);
  e->code = cinfo->err->msg_code;
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

// Warnings that mean the image lost data (a file cut short, corrupt entropy
// data) are errors, as stb_image had them; the rest (extra bytes between
// markers, odd APP segments) are ignored.
void jpeg_on_message(j_common_ptr cinfo, int level) {
  const int code = cinfo->err->msg_code;
  if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
                    code == JWRN_MUST_RESYNC))
    jpeg_on_error(cinfo);
}

void jpeg_no_output(j_common_ptr) {}

template <class Step>
bool jpeg_guarded(JpegErrors& errors, Step&& step) {
  if (setjmp(errors.jump)) return false;
  step();
  return true;
}

Image decode_jpeg(const std::string& bytes, const std::string& path, const ImageLoad& load, Decoding& d) {
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
  cinfo.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_on_error;
  errors.manager.emit_message = jpeg_on_message;
  errors.manager.output_message = jpeg_no_output;
  if (!jpeg_guarded(errors, [&] { jpeg_create_decompress(&cinfo); }))
    fail("{}: cannot decode the image: JPEG: {}", path, errors.message);
  struct Release {
    jpeg_decompress_struct* cinfo;
    ~Release() { jpeg_destroy_decompress(cinfo); }
  } release{&cinfo};
  const auto failed = [&] {
    if (errors.code == JERR_OUT_OF_MEMORY) throw std::bad_alloc();
    HM_CHECK(errors.code != JERR_NO_BACKING_STORE,
             "{}: out of memory: this {}x{} progressive JPEG needs more than the {} MB its decoder may use", path,
             cinfo.image_width, cinfo.image_height, kMaxJpegWorkingBytes >> 20);
    fail("{}: cannot decode the image: JPEG: {}", path, errors.message);
  };

  int header = 0;
  if (!jpeg_guarded(errors, [&] {
        cinfo.mem->max_memory_to_use = kMaxJpegWorkingBytes;
        jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
        header = jpeg_read_header(&cinfo, TRUE);
      }))
    failed();
  HM_CHECK(header == JPEG_HEADER_OK, "{}: cannot decode the image: JPEG: the file holds tables but no image", path);
  check_size(cinfo.image_width, cinfo.image_height, bytes.size(), path);
  const bool gray_file = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = gray_file ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
  d = {cinfo.image_width, cinfo.image_height, load.gray || gray_file ? 1 : 3,
       shrink_factor(cinfo.image_width, cinfo.image_height, load)};
  // The IDCT shrinks by 8, 4 or 2 for free (and better than a box would);
  // the rest of the factor is a box on its output.
  int64_t dct = 8;
  while (d.factor % dct != 0) dct /= 2;
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned>(dct);
  if (!jpeg_guarded(errors, [&] { jpeg_start_decompress(&cinfo); })) failed();
  const int64_t components = cinfo.output_components;  // 1, 3 or 4 (CMYK)
  Image image = allocate_image(d.width, d.height, d.channels, d.factor);
  BoxShrinker shrink(image, cinfo.output_width, cinfo.output_height, d.factor / dct, false);
  std::vector<JSAMPLE> raw(static_cast<size_t>(cinfo.output_width * components));
  std::vector<float> row(static_cast<size_t>(cinfo.output_width) * (cmyk ? 3 : components));
  if (!jpeg_guarded(errors, [&] {
        while (cinfo.output_scanline < cinfo.output_height) {
          const int64_t y = cinfo.output_scanline, n = cinfo.output_width;
          JSAMPROW rows[1] = {raw.data()};
          jpeg_read_scanlines(&cinfo, rows, 1);
          if (cmyk) {  // Adobe's inverted CMYK, to RGB as stb_image did: C * K
            for (int64_t i = 0; i < n; ++i)
              for (int c = 0; c < 3; ++c)
                row[i * 3 + c] = static_cast<float>(raw[i * 4 + c] * raw[i * 4 + 3]) * (1.0f / (255.0f * 255.0f));
          } else {
            to_floats(raw.data(), n * components, false, row.data());
          }
          shrink.add(y, 0, 1, n, row.data(), cmyk ? 3 : components);
        }
      }))
    failed();
  shrink.finish();
  return image;
}

// ---- BMP (stb_image) --------------------------------------------------------------------

// An uncompressed BMP's size bounds its pixels (stb_image refuses RLE), so
// stb_image decodes it whole, 8 bits per sample, and its rows are then shrunk.
Image decode_bmp(const std::string& bytes, const std::string& path, const ImageLoad& load, Decoding& d) {
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX));
  int w = 0, h = 0, n = 0;
  if (!stbi_info_from_memory(data, length, &w, &h, &n))
    fail("{}: not a supported image (PNG, JPEG or BMP): {}", path, stbi_failure_reason());
  if (h < 0 && h != INT32_MIN) h = -h;  // a top-down BMP: stb_image gives its height as stored, negative
  check_size(w, h, bytes.size(), path);
  HM_CHECK(n >= 1 && n <= 4, "{}: {} channels are not supported", path, n);
  // stb_image fills the rows a truncated BMP lacks with black. Its pixels
  // are uncompressed, so their size is known: from the data offset, h rows
  // of w pixels, each row padded to 4 bytes.
  const uint32_t offset = read_u32(bytes, 10, false), header_size = read_u32(bytes, 14, false);
  const uint32_t bits = read_u32(bytes, header_size == 12 ? 24 : 28, false) & 0xffff;
  const uint64_t needed = offset + (static_cast<uint64_t>(w) * bits + 31) / 32 * 4 * static_cast<uint64_t>(h);
  HM_CHECK(bytes.size() >= needed, "{}: truncated BMP: {}x{} pixels of {} bits need {} bytes, the file has {}", path, w,
           h, bits, needed, bytes.size());

  const int want = n <= 2 ? 1 : 3;  // drop alpha
  d = {w, h, load.gray ? 1 : want, shrink_factor(w, h, load)};
  stbi_uc* raw = stbi_load_from_memory(data, length, &w, &h, &n, want);
  if (!raw) {
    const char* reason = stbi_failure_reason();
    if (reason && std::strcmp(reason, "Out of memory") == 0) throw std::bad_alloc();
    fail("{}: cannot decode the image: {}", path, reason ? reason : "corrupt image data");
  }
  std::unique_ptr<stbi_uc, void (*)(void*)> owned(raw, stbi_image_free);
  Image image = allocate_image(w, h, d.channels, d.factor);
  BoxShrinker shrink(image, w, h, d.factor, false);
  std::vector<float> row(static_cast<size_t>(w) * want);
  for (int64_t y = 0; y < h; ++y) {
    to_floats(raw + y * w * want, w * want, false, row.data());
    shrink.add(y, 0, 1, w, row.data(), want);
  }
  return image;
}

}  // namespace

int64_t shrink_factor(int64_t width, int64_t height, const ImageLoad& load) {
  int64_t f = 1;
  if (load.view_width > 0 && load.view_height > 0) {
    const double rx = static_cast<double>(width) / load.view_width, ry = static_cast<double>(height) / load.view_height;
    f = std::max<int64_t>(1, static_cast<int64_t>(std::floor((load.stretch ? std::min(rx, ry) : std::max(rx, ry)) + 1e-9)));
  }
  if (load.max_pixels > 0) {
    f = std::max<int64_t>(f, static_cast<int64_t>(std::sqrt(static_cast<double>(width) * height / load.max_pixels)));
    while (ceil_div(width, f) * ceil_div(height, f) > load.max_pixels) ++f;
  }
  return f;
}

Image load_image(const std::string& path, const ImageLoad& load) {
  const std::string bytes = read_file(path);
  const auto starts = [&](const char* magic, size_t n) { return bytes.size() >= n && bytes.compare(0, n, magic, n) == 0; };
  Decoding d;
  try {
    if (starts(kPngSignature, 8)) {
      check_png_chunk_lengths(bytes, path);
      // Its claimed size first, before libpng's own limits word it otherwise.
      if (bytes.size() >= 24 && bytes.compare(12, 4, "IHDR") == 0)
        check_size(read_u32(bytes, 16, true), read_u32(bytes, 20, true), bytes.size(), path);
      return decode_png(bytes, path, load, d);
    }
    // JPEG: an SOI marker, perhaps after fill bytes (which libjpeg then refuses, naming them).
    const size_t fill = std::min(bytes.find_first_not_of('\xff'), bytes.size());
    if (fill > 0 && fill < bytes.size() && bytes[fill] == '\xd8') return decode_jpeg(bytes, path, load, d);
    if (starts("BM", 2)) return decode_bmp(bytes, path, load, d);
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory decoding the {}x{} image into {}x{}x{} floats ({} MB)", path, d.width, d.height,
         d.channels, ceil_div(d.width, d.factor), ceil_div(d.height, d.factor),
         d.channels * ceil_div(d.width, d.factor) * ceil_div(d.height, d.factor) * 4 >> 20);
  }
  fail("{}: not a supported image (PNG, JPEG or BMP): {}", path,
       bytes.empty() ? "the file is empty" : "unknown file signature");
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
  out.scale = image.scale * factor;
  out.file_width = image.original_width();
  out.file_height = image.original_height();
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
  out.scale = image.scale;
  out.file_width = image.file_width;
  out.file_height = image.file_height;
  out.pixels.resize(image.width * image.height);
  for (int64_t y = 0; y < image.height; ++y)
    for (int64_t x = 0; x < image.width; ++x)
      out.at(0, y, x) = (image.at(0, y, x) + image.at(1, y, x) + image.at(2, y, x)) / 3.0f;
  return out;
}

}  // namespace heatmark
