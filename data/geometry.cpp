#include "data/geometry.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace heatmark {

Affine Affine::inverse() const {
  const double det = a * e - b * d;
  HM_CHECK(std::abs(det) > 1e-300, "affine map is not invertible");
  const double ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
  return {ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)};
}

Affine Affine::then(const Affine& n) const {
  return {n.a * a + n.b * d, n.a * b + n.b * e, n.a * c + n.b * f + n.c,
          n.d * a + n.e * d, n.d * b + n.e * e, n.d * c + n.e * f + n.f};
}

Affine Affine::rotate_scale_about(double degrees, double s, double cx, double cy) {
  const double t = degrees * M_PI / 180.0, cs = s * std::cos(t), sn = s * std::sin(t);
  // y points down, so a positive angle turns counter-clockwise on screen.
  const Affine r{cs, sn, 0, -sn, cs, 0};
  return translate(-cx, -cy).then(r).then(translate(cx, cy));
}

Affine letterbox(double width, double height, double out_width, double out_height) {
  const double s = std::min(out_width / width, out_height / height);
  return Affine::scale(s, s).then(Affine::translate((out_width - s * width) / 2, (out_height - s * height) / 2));
}

Affine stretch(double width, double height, double out_width, double out_height) {
  return Affine::scale(out_width / width, out_height / height);
}

void warp_bilinear(const Image& src, const Affine& source_to_out, int64_t out_w, int64_t out_h, float* out,
                   float fill) {
  const Affine back = source_to_out.inverse();
  for (int64_t i = 0; i < out_h; ++i)
    for (int64_t j = 0; j < out_w; ++j) {
      // The output pixel centre, in source pixel-index space (centres at integers).
      const Point p = back.apply({j + 0.5, i + 0.5});
      const double u = p.x - 0.5, v = p.y - 0.5;
      const double x0 = std::floor(u), y0 = std::floor(v), fx = u - x0, fy = v - y0;
      const int64_t ix = static_cast<int64_t>(x0), iy = static_cast<int64_t>(y0);
      for (int64_t c = 0; c < src.channels; ++c) {
        auto tap = [&](int64_t x, int64_t y) -> double {
          return x >= 0 && x < src.width && y >= 0 && y < src.height ? src.at(c, y, x) : fill;
        };
        const double value = (1 - fy) * ((1 - fx) * tap(ix, iy) + fx * tap(ix + 1, iy)) +
                             fy * ((1 - fx) * tap(ix, iy + 1) + fx * tap(ix + 1, iy + 1));
        out[(c * out_h + i) * out_w + j] = static_cast<float>(value);
      }
    }
}

}  // namespace heatmark
