#include "infer/decode.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "tensor/cpu/soft_argmax.h"

namespace heatmark {

Decoder parse_decoder(const std::string& text) {
  if (text == "softargmax") return Decoder::SoftArgmax;
  if (text == "argmax") return Decoder::Argmax;
  if (text == "dark") return Decoder::Dark;
  fail("unknown decoder '{}' (expected softargmax, argmax or dark)", text);
}

std::string decoder_name(Decoder d) {
  switch (d) {
    case Decoder::SoftArgmax: return "softargmax";
    case Decoder::Argmax: return "argmax";
    case Decoder::Dark: return "dark";
  }
  return "?";
}

namespace {

int64_t argmax_index(const float* map, int64_t n) { return std::max_element(map, map + n) - map; }

Point argmax_point(const float* m, int64_t H, int64_t W) {
  const int64_t best = argmax_index(m, H * W), i = best / W, j = best % W;
  Point p{j + 0.5, i + 0.5};
  if (j > 0 && j < W - 1) p.x += 0.25 * ((m[i * W + j + 1] > m[i * W + j - 1]) - (m[i * W + j + 1] < m[i * W + j - 1]));
  if (i > 0 && i < H - 1) p.y += 0.25 * ((m[(i + 1) * W + j] > m[(i - 1) * W + j]) - (m[(i + 1) * W + j] < m[(i - 1) * W + j]));
  return p;
}

Point dark_point(const float* m, int64_t H, int64_t W, double sigma) {
  // Smooth with the training Gaussian (separable), keeping the original peak height.
  const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<double> kernel(2 * radius + 1), tmp(H * W), smooth(H * W);
  double total = 0;
  for (int t = -radius; t <= radius; ++t) total += kernel[t + radius] = std::exp(-t * t / (2 * sigma * sigma));
  for (double& k : kernel) k /= total;
  for (int64_t i = 0; i < H; ++i)
    for (int64_t j = 0; j < W; ++j) {
      double acc = 0;
      for (int t = -radius; t <= radius; ++t) acc += kernel[t + radius] * m[i * W + std::clamp<int64_t>(j + t, 0, W - 1)];
      tmp[i * W + j] = acc;
    }
  for (int64_t i = 0; i < H; ++i)
    for (int64_t j = 0; j < W; ++j) {
      double acc = 0;
      for (int t = -radius; t <= radius; ++t) acc += kernel[t + radius] * tmp[std::clamp<int64_t>(i + t, 0, H - 1) * W + j];
      smooth[i * W + j] = acc;
    }
  const int64_t best = std::max_element(smooth.begin(), smooth.end()) - smooth.begin(), i = best / W, j = best % W;
  Point p{j + 0.5, i + 0.5};
  if (i < 2 || j < 2 || i >= H - 2 || j >= W - 2 || smooth[best] <= 0) return argmax_point(m, H, W);
  auto L = [&](int64_t y, int64_t x) { return std::log(std::max(smooth[y * W + x], 1e-10)); };
  const double dx = 0.5 * (L(i, j + 1) - L(i, j - 1)), dy = 0.5 * (L(i + 1, j) - L(i - 1, j));
  const double dxx = 0.25 * (L(i, j + 2) - 2 * L(i, j) + L(i, j - 2));
  const double dyy = 0.25 * (L(i + 2, j) - 2 * L(i, j) + L(i - 2, j));
  const double dxy = 0.25 * (L(i + 1, j + 1) - L(i - 1, j + 1) - L(i + 1, j - 1) + L(i - 1, j - 1));
  const double det = dxx * dyy - dxy * dxy;
  if (std::abs(det) < 1e-12) return p;
  const double ox = -(dyy * dx - dxy * dy) / det, oy = -(dxx * dy - dxy * dx) / det;
  if (std::abs(ox) < 1.5 && std::abs(oy) < 1.5) {  // a sane refinement of the maximum
    p.x += ox;
    p.y += oy;
  }
  return p;
}

}  // namespace

Decoded decode_heatmap(const float* map, int64_t H, int64_t W, Decoder decoder, double beta, double sigma) {
  HM_CHECK(H > 0 && W > 0, "decode: empty heatmap");
  Decoded d;
  d.confidence = *std::max_element(map, map + H * W);
  switch (decoder) {
    case Decoder::SoftArgmax: {
      float coords[2];
      cpu::soft_argmax_forward(HeatmapShape{1, 1, H, W}, map, beta, coords);
      d.point = {coords[0] * static_cast<double>(W), coords[1] * static_cast<double>(H)};
      break;
    }
    case Decoder::Argmax: d.point = argmax_point(map, H, W); break;
    case Decoder::Dark: d.point = dark_point(map, H, W, sigma); break;
  }
  return d;
}

}  // namespace heatmark
