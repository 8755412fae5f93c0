// Fuzzes the image loader (data/image.cpp: libpng, libjpeg-turbo, stb_image
// for BMP, the size checks, 8/16-bit conversion), at full size and shrunk to
// gray while decoding (libjpeg's DCT scaling, the row-by-row box), then the
// gray and downsampling helpers.
// load_image reads a path, so the input goes to a file in the scratch folder.
//
// Images whose header claims more than kFuzzPixels pixels, but not past the
// loader's caps, are skipped: decoding them is allowed by design (up to
// kMaxImagePixels) and would only make the fuzzer slow and hit its memory
// limit. Headers past the caps still go to load_image, which must refuse them.
// The header is read here by hand, not by stb_image: calling it before
// load_image's own checks would crash where load_image refuses.
// Rejection is heatmark::Error; anything else is a finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "data/image.h"

namespace {

constexpr int64_t kFuzzPixels = int64_t{1} << 18;  // 512 x 512

// Width and height the header claims (PNG IHDR, BMP, every JPEG SOF0-2 marker: the largest), or 0 x 0.
std::pair<int64_t, int64_t> claimed_size(const uint8_t* d, size_t n) {
  auto be = [&](size_t i, int bytes) {
    int64_t v = 0;
    for (int k = 0; k < bytes; ++k) v = v << 8 | (i + k < n ? d[i + k] : 0);
    return v;
  };
  auto le = [&](size_t i, int bytes) {
    int64_t v = 0;
    for (int k = bytes - 1; k >= 0; --k) v = v << 8 | (i + k < n ? d[i + k] : 0);
    return v;
  };
  if (n >= 24 && d[0] == 0x89 && d[1] == 'P') return {be(16, 4), be(20, 4)};
  if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
    if (le(14, 4) == 12) return {le(18, 2), le(20, 2)};
    // Signed 32-bit (a negative height is a top-down BMP), widened before abs.
    return {std::abs(int64_t{static_cast<int32_t>(le(18, 4))}), std::abs(int64_t{static_cast<int32_t>(le(22, 4))})};
  }
  std::pair<int64_t, int64_t> largest{0, 0};
  if (n >= 2 && d[0] == 0xFF)
    for (size_t i = 0; i + 9 <= n; ++i)
      if (d[i] == 0xFF && d[i + 1] >= 0xC0 && d[i + 1] <= 0xC2 &&
          be(i + 5, 2) * be(i + 7, 2) > largest.first * largest.second)
        largest = {be(i + 7, 2), be(i + 5, 2)};
  return largest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = heatmark::fuzz;
  const auto [w, h] = claimed_size(data, size);
  const bool within_caps =
      w <= heatmark::kMaxImageSide && h <= heatmark::kMaxImageSide && w * h <= heatmark::kMaxImagePixels;
  if (within_caps && w * h > kFuzzPixels) return 0;

  static const auto path = fz::scratch_dir() / "image";
  fz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const heatmark::Image image = heatmark::load_image(path.string());
    heatmark::box_downsample(heatmark::to_gray(image), 3);
    heatmark::ImageLoad shrunk;  // by 6: DCT scaling by 2, then a box of 3
    shrunk.gray = true;
    shrunk.view_width = static_cast<double>(image.width) / 6.5;
    shrunk.view_height = static_cast<double>(image.height) / 6.5;
    heatmark::load_image(path.string(), shrunk);
  } catch (const heatmark::Error&) {
    // rejected with a message: the expected outcome for bad input
  }
  return 0;
}
