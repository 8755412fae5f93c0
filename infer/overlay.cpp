#include "infer/overlay.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <stb/stb_easy_font.h>

namespace heatmark {

namespace {

struct Colour {
  float r, g, b;
};

const Colour kPalette[] = {{1.0f, 0.2f, 0.2f}, {0.2f, 1.0f, 0.3f}, {0.3f, 0.6f, 1.0f}, {1.0f, 0.9f, 0.1f},
                           {1.0f, 0.3f, 1.0f}, {0.2f, 1.0f, 1.0f}, {1.0f, 0.6f, 0.1f}, {0.7f, 0.5f, 1.0f}};

void plot(Image& im, int64_t x, int64_t y, const Colour& c) {
  if (x < 0 || y < 0 || x >= im.width || y >= im.height) return;
  im.at(0, y, x) = c.r;
  im.at(1, y, x) = c.g;
  im.at(2, y, x) = c.b;
}

void fill_rect(Image& im, double x0, double y0, double x1, double y1, const Colour& c) {
  for (int64_t py = static_cast<int64_t>(std::floor(y0)); py < static_cast<int64_t>(std::ceil(y1)); ++py)
    for (int64_t px = static_cast<int64_t>(std::floor(x0)); px < static_cast<int64_t>(std::ceil(x1)); ++px) plot(im, px, py, c);
}

// Text with its top-left at (x, y), `scale` pixels per font unit.
void text(Image& im, double x, double y, const std::string& s, double scale, const Colour& c) {
  std::vector<char> buffer(s.size() * 300 + 64);  // stb_easy_font needs ~270 bytes per character
  const int quads = stb_easy_font_print(0, 0, const_cast<char*>(s.c_str()), nullptr, buffer.data(),
                                        static_cast<int>(buffer.size()));
  const float* v = reinterpret_cast<const float*>(buffer.data());  // per quad: 4 vertices of (x, y, z, rgba)
  for (int pass = 0; pass < 2; ++pass) {  // a dark outline first, so the text reads on any background
    const double grow = pass == 0 ? std::max(1.0, scale / 2) : 0;
    for (int q = 0; q < quads; ++q) {
      const float* quad = v + q * 16;  // vertices 0 and 2 are opposite corners
      fill_rect(im, x + quad[0] * scale - grow, y + quad[1] * scale - grow, x + quad[8] * scale + grow,
                y + quad[9] * scale + grow, pass == 0 ? Colour{0, 0, 0} : c);
    }
  }
}

}  // namespace

Image draw_overlay(const Image& image, const std::vector<Landmark>& landmarks) {
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.scale = image.scale;
  out.file_width = image.file_width;
  out.file_height = image.file_height;
  out.channels = 3;
  out.pixels.resize(3 * image.width * image.height);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < image.height; ++y)
      for (int64_t x = 0; x < image.width; ++x) out.at(c, y, x) = image.at(image.channels == 1 ? 0 : c, y, x);

  const double size = static_cast<double>(std::max(image.width, image.height));
  const double radius = std::max(3.0, size / 120), scale = std::max(1.0, size / 400);
  for (size_t k = 0; k < landmarks.size(); ++k) {
    Landmark l = landmarks[k];  // file pixels -> stored pixels
    l.x /= static_cast<double>(image.scale);
    l.y /= static_cast<double>(image.scale);
    const Colour& c = kPalette[k % (sizeof kPalette / sizeof kPalette[0])];
    for (int a = 0; a < 720; ++a) {  // the ring, two pixels thick
      const double t = a * M_PI / 360;
      for (double r : {radius, radius + 1})
        plot(out, static_cast<int64_t>(std::floor(l.x + r * std::cos(t))), static_cast<int64_t>(std::floor(l.y + r * std::sin(t))), c);
    }
    for (int64_t d = -static_cast<int64_t>(radius / 2); d <= static_cast<int64_t>(radius / 2); ++d) {  // the cross
      plot(out, static_cast<int64_t>(std::floor(l.x)) + d, static_cast<int64_t>(std::floor(l.y)), c);
      plot(out, static_cast<int64_t>(std::floor(l.x)), static_cast<int64_t>(std::floor(l.y)) + d, c);
    }
    // The label beside the marker: on its right, or on its left where the right
    // has no room, and moved inside the image at its edges, never clipped
    // (unless it is wider or taller than the whole image).
    std::string label = std::to_string(k + 1) + " " + l.name;
    const double w = stb_easy_font_width(label.data()) * scale, h = stb_easy_font_height(label.data()) * scale;
    const double margin = std::max(1.0, scale / 2);  // the outline around the glyphs
    double x = l.x + radius + 3;
    if (x + w + margin > static_cast<double>(out.width)) x = l.x - radius - 3 - w;
    x = std::clamp(x, margin, std::max(margin, static_cast<double>(out.width) - w - margin));
    const double y = std::clamp(l.y - 4 * scale, margin, std::max(margin, static_cast<double>(out.height) - h - margin));
    text(out, x, y, label, scale, c);
  }
  return out;
}

}  // namespace heatmark
