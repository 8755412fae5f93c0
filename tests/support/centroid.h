// The intensity-weighted centre of a width x height plane, in pixel
// coordinates (corner-origin: pixel (i, j) counts at (j + 0.5, i + 0.5)):
// where a drawn dot landed after a warp or a crop.
#pragma once

#include <cstdint>

#include "data/dataset.h"

namespace heatmark::testing {

inline Point centroid(const float* plane, int64_t width, int64_t height) {
  double sx = 0, sy = 0, total = 0;
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      const double v = plane[y * width + x];
      sx += v * (static_cast<double>(x) + 0.5);
      sy += v * (static_cast<double>(y) + 0.5);
      total += v;
    }
  return {sx / total, sy / total};
}

}  // namespace heatmark::testing
