#include "train/synth.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "base/error.h"
#include "tensor/output_paths.h"
#include "tensor/atomic_file.h"
#include "tensor/parallel.h"
#include "tensor/philox.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/geometry.h"
#include "data/image.h"

namespace heatmark {

namespace fs = std::filesystem;

namespace {

// Random numbers for one image: Philox (seed, image, index).
struct Random {
  uint64_t seed, image;
  double uniform(uint64_t i) const {
    return (philox_block(seed, (image << 16) | i, 0x5171).v[0] + 0.5) / 4294967296.0;
  }
  double between(uint64_t i, double lo, double hi) const { return lo + (hi - lo) * uniform(i); }
};

double smoothstep(double edge0, double edge1, double x) {
  const double t = std::clamp((x - edge0) / (edge1 - edge0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

// Distance from p to the segment ab.
double segment_distance(Point p, Point a, Point b) {
  const double vx = b.x - a.x, vy = b.y - a.y;
  const double t = std::clamp(((p.x - a.x) * vx + (p.y - a.y) * vy) / (vx * vx + vy * vy), 0.0, 1.0);
  return std::hypot(p.x - a.x - t * vx, p.y - a.y - t * vy);
}

// Smooth value noise on a lattice of `cells` per unit, in [0, 1].
double value_noise(Point p, double cells, uint64_t seed) {
  const double x = p.x * cells, y = p.y * cells, x0 = std::floor(x), y0 = std::floor(y);
  auto lattice = [&](double i, double j) {
    const uint64_t key = (static_cast<uint64_t>(static_cast<int64_t>(i) + 4096) << 20) |
                         static_cast<uint64_t>(static_cast<int64_t>(j) + 4096);
    return philox_uniform(philox_block(seed, key, 0x40153).v[0]);
  };
  const double fx = smoothstep(0, 1, x - x0), fy = smoothstep(0, 1, y - y0);
  return (1 - fy) * ((1 - fx) * lattice(x0, y0) + fx * lattice(x0 + 1, y0)) +
         fy * ((1 - fx) * lattice(x0, y0 + 1) + fx * lattice(x0 + 1, y0 + 1));
}

// One skull in its own frame: x right (face), y down, units of ~100 mm.
struct Skull {
  Point sella, chin, gonion, ramus_top, nasion, nasal_tip, incisor, ruler_top, ruler_bottom;
  double cranium_rx, cranium_ry, sella_radius, bone_radius;
  Point cranium_centre;
  std::vector<Point> crosses;  // the extra landmarks beyond six
};

Skull make_skull(const Random& r, int64_t landmarks) {
  Skull s;
  auto jitter = [&](uint64_t i, double amount) { return r.between(i, -amount, amount); };
  s.cranium_centre = {jitter(10, 0.03), -0.25 + jitter(11, 0.03)};
  s.cranium_rx = 0.62 + jitter(12, 0.05);
  s.cranium_ry = 0.50 + jitter(13, 0.05);
  s.sella = {-0.12 + jitter(14, 0.06), -0.12 + jitter(15, 0.05)};
  s.sella_radius = 0.07 + jitter(16, 0.015);
  s.gonion = {-0.40 + jitter(17, 0.05), 0.36 + jitter(18, 0.05)};
  s.ramus_top = {s.gonion.x - 0.04 + jitter(19, 0.03), 0.0 + jitter(20, 0.04)};
  const double jaw_length = 0.80 + jitter(21, 0.08), jaw_angle = 0.30 + jitter(22, 0.08);  // radians below horizontal
  s.chin = {s.gonion.x + jaw_length * std::cos(jaw_angle), s.gonion.y + jaw_length * std::sin(jaw_angle)};
  s.bone_radius = 0.05;
  const double nasion_angle = -0.25 + jitter(23, 0.08);  // on the front of the cranium
  s.nasion = {s.cranium_centre.x + s.cranium_rx * std::cos(nasion_angle),
              s.cranium_centre.y + s.cranium_ry * std::sin(nasion_angle)};
  s.nasal_tip = {s.nasion.x + 0.16 + jitter(24, 0.03), s.nasion.y + 0.18 + jitter(25, 0.03)};
  s.incisor = {s.chin.x - 0.10 + jitter(26, 0.03), s.chin.y - 0.26 + jitter(27, 0.03)};
  s.ruler_top = {0.90, -0.70};
  s.ruler_bottom = {0.90, 0.70};
  for (int64_t k = 6; k < landmarks; ++k) {  // fixed places for the crosses (per landmark), jittered per image
    const Random place{r.seed ^ 0xC0055, static_cast<uint64_t>(k)};
    s.crosses.push_back({place.between(0, -0.45, 0.45) + jitter(100 + 2 * k, 0.03),
                         place.between(1, -0.55, 0.45) + jitter(101 + 2 * k, 0.03)});
  }
  return s;
}

std::vector<Point> landmark_points(const Skull& s, int64_t count) {
  // The chin tip is the end of the mandible's body, one bone radius beyond its axis.
  const double dx = s.chin.x - s.gonion.x, dy = s.chin.y - s.gonion.y, len = std::hypot(dx, dy);
  const Point chin_tip{s.chin.x + s.bone_radius * dx / len, s.chin.y + s.bone_radius * dy / len};
  std::vector<Point> all{s.sella, chin_tip, s.gonion, s.nasion, s.incisor, {s.ruler_top.x, 0.0}};
  all.insert(all.end(), s.crosses.begin(), s.crosses.end());
  all.resize(count);
  return all;
}

// The X-ray density at a point of the skull's frame; `px` is one pixel in frame units.
double density(const Skull& s, Point p, double px, uint64_t texture_seed) {
  const double edge = 1.2 * px;
  // Soft tissue: a broad head outline.
  double v = 0.06 + 0.20 * (1 - smoothstep(0.95 - edge, 0.95 + edge, std::hypot(p.x * 0.9, p.y * 0.85)));
  // Cranium: a bony shell (bright) around a darker inside.
  const double e = std::hypot((p.x - s.cranium_centre.x) / s.cranium_rx, (p.y - s.cranium_centre.y) / s.cranium_ry);
  const double shell = smoothstep(0.90 - edge, 0.90 + edge, e) * (1 - smoothstep(1.0 - edge, 1.0 + edge, e));
  const double inside = 1 - smoothstep(0.90 - edge, 0.90 + edge, e);
  v += 0.55 * shell + 0.12 * inside;
  // Sella: a dark pit with a bright rim.
  const double ds = std::hypot(p.x - s.sella.x, p.y - s.sella.y);
  v += 0.30 * smoothstep(s.sella_radius - edge, s.sella_radius + edge, ds) *
       (1 - smoothstep(s.sella_radius + 0.025 - edge, s.sella_radius + 0.025 + edge, ds));
  v -= 0.18 * (1 - smoothstep(s.sella_radius - edge, s.sella_radius + edge, ds));
  // Mandible: ramus and body, bright capsules meeting at the gonion.
  const double bone = std::min(segment_distance(p, s.gonion, s.chin), segment_distance(p, s.gonion, s.ramus_top));
  v += 0.55 * (1 - smoothstep(s.bone_radius - edge, s.bone_radius + edge, bone));
  // Nasal bone from the nasion, and an incisor pointing down to its tip.
  v += 0.40 * (1 - smoothstep(0.018 - edge, 0.018 + edge, segment_distance(p, s.nasion, s.nasal_tip)));
  const double tooth = segment_distance(p, s.incisor, {s.incisor.x - 0.03, s.incisor.y - 0.16});
  const double tooth_width = 0.004 + 0.12 * std::max(0.0, s.incisor.y - p.y);  // tapering to the tip
  v += 0.45 * (1 - smoothstep(tooth_width - edge, tooth_width + edge, tooth));
  // Ruler: a bar with ticks every 0.1, a long one at 0.
  if (std::abs(p.x - s.ruler_top.x) < 0.03 + edge && p.y > s.ruler_top.y && p.y < s.ruler_bottom.y) {
    v += 0.5 * (1 - smoothstep(0.012 - edge, 0.012 + edge, std::abs(p.x - s.ruler_top.x)));
    const double tick = std::abs(p.y - 0.1 * std::round(p.y / 0.1));
    const double tick_length = std::abs(std::round(p.y / 0.1)) < 0.5 ? 0.06 : 0.03;
    v += 0.5 * (1 - smoothstep(0.006 - edge, 0.006 + edge, tick)) *
         (1 - smoothstep(tick_length - edge, tick_length + edge, std::abs(p.x - s.ruler_top.x)));
  }
  // Crosses.
  for (const Point& c : s.crosses) {
    const double arm = std::max(std::abs(p.x - c.x), std::abs(p.y - c.y));
    const double thin = std::min(std::abs(p.x - c.x), std::abs(p.y - c.y));
    v += 0.35 * (1 - smoothstep(0.04 - edge, 0.04 + edge, arm)) * (1 - smoothstep(0.008 - edge, 0.008 + edge, thin));
  }
  // Bone texture and uneven exposure.
  v *= 0.85 + 0.3 * value_noise(p, 14, texture_seed);
  v *= 0.8 + 0.4 * value_noise(p, 1.5, texture_seed + 1);
  return v;
}

void blur(Image& image, double sigma) {
  const int radius = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> weights(2 * radius + 1);
  double total = 0;
  for (int i = -radius; i <= radius; ++i) total += weights[i + radius] = std::exp(-i * i / (2 * sigma * sigma));
  for (double& w : weights) w /= total;
  std::vector<float> tmp(image.pixels.size());
  const int64_t W = image.width, H = image.height;
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        double acc = 0;
        for (int i = -radius; i <= radius; ++i) {
          const int64_t xx = std::clamp<int64_t>(pass == 0 ? x + i : x, 0, W - 1);
          const int64_t yy = std::clamp<int64_t>(pass == 0 ? y : y + i, 0, H - 1);
          acc += weights[i + radius] * image.pixels[yy * W + xx];
        }
        tmp[y * W + x] = static_cast<float>(acc);
      }
    image.pixels.swap(tmp);
  }
}

}  // namespace

std::vector<std::string> synth_landmark_names(int64_t count) {
  std::vector<std::string> names{"S (sella centre)", "Me (chin tip)", "Go (gonial corner)", "N (nasion)",
                                 "U1 (incisor tip)", "R (ruler zero tick)"};
  for (int64_t k = 6; k < count; ++k) names.push_back(fmt::format("P{} (cross {})", k + 1, k - 5));
  names.resize(count);
  return names;
}

void synthesize_dataset(const SynthOptions& o) {
  HM_CHECK(!o.out.empty(), "synth: --out is required");
  HM_CHECK(o.count >= 1 && o.count <= 100000, "synth: --count must be in [1, 100000], got {}", o.count);
  HM_CHECK(o.size >= 32 && o.size <= 4096, "synth: --size must be in [32, 4096], got {}", o.size);
  HM_CHECK(o.landmarks >= 1 && o.landmarks <= 64, "synth: --landmarks must be in [1, 64], got {}", o.landmarks);
  HM_CHECK(std::isfinite(o.mm_per_px) && o.mm_per_px >= 0 && o.mm_per_px <= 100,
           "synth: mm_per_px must be in [0, 100] (0: a 220 mm field of view), got {}", o.mm_per_px);
  check_output_folder(o.out, "synth: --out", o.force);
  const fs::path root(o.out);
  std::error_code ec;
  fs::create_directories(root / "images", ec);
  HM_CHECK(!ec, "synth: cannot create {}: {}", (root / "images").string(), ec.message());

  const double S = static_cast<double>(o.size);
  const double mm_per_px = o.mm_per_px > 0 ? o.mm_per_px : 220.0 / S;
  std::vector<std::vector<Point>> points(o.count);
  std::vector<std::string> errors(o.count);
  parallel_items(o.count, [&](int64_t i) {
    try {
      const Random r{o.seed, static_cast<uint64_t>(i)};
      const Skull skull = make_skull(r, o.landmarks);
      // The pose: frame units -> pixels (0.4 S per unit), rotated, scaled and moved about the centre.
      const double scale = 0.40 * S * r.between(0, 0.85, 1.15);
      const Affine pose = Affine::rotate_scale_about(r.between(1, -15, 15), scale, 0, 0)
                              .then(Affine::translate(S / 2 + r.between(2, -0.12, 0.12) * S,
                                                      S / 2 + r.between(3, -0.12, 0.12) * S));
      const Affine back = pose.inverse();
      Image image;
      image.width = image.height = o.size;
      image.pixels.resize(o.size * o.size);
      const double px = 1.0 / scale;
      for (int64_t y = 0; y < o.size; ++y)
        for (int64_t x = 0; x < o.size; ++x)
          image.pixels[y * o.size + x] =
              static_cast<float>(density(skull, back.apply({x + 0.5, y + 0.5}), px, o.seed * 7919 + i));
      blur(image, r.between(4, 0.5, 1.2));
      const double gamma = r.between(5, 0.75, 1.3), gain = r.between(6, 0.8, 1.25), noise = r.between(7, 0.01, 0.04);
      for (int64_t p = 0; p < o.size * o.size; ++p) {
        const Philox4x32 w = philox_block(o.seed ^ 0xBEEF, (static_cast<uint64_t>(i) << 32) | p, 0x4015E);
        const double gaussian = std::sqrt(-2 * std::log(philox_uniform(w.v[0]))) * std::cos(2 * M_PI * philox_uniform(w.v[1]));
        image.pixels[p] = static_cast<float>(std::clamp(gain * std::pow(std::max(0.0f, image.pixels[p]), gamma) +
                                                            noise * gaussian, 0.0, 1.0));
      }
      save_png(image, (root / "images" / fmt::format("{:04}.png", i)).string());
      for (const Point& p : landmark_points(skull, o.landmarks)) points[i].push_back(pose.apply(p));
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  });
  for (const std::string& e : errors) HM_CHECK(e.empty(), "synth: {}", e);

  // Written through csv_row like every CSV heatmark writes, so that it reads back as written.
  std::vector<std::string> header = {"image"};
  for (int64_t k = 0; k < o.landmarks; ++k) {
    header.push_back(fmt::format("x{}", k + 1));
    header.push_back(fmt::format("y{}", k + 1));
  }
  std::string csv = csv_row(header), spacing = csv_row({"image", "mm_per_px_x", "mm_per_px_y"}), names;
  for (int64_t i = 0; i < o.count; ++i) {
    const std::string image = fmt::format("images/{:04}.png", i);
    std::vector<std::string> row = {image};
    for (const Point& p : points[i]) {
      row.push_back(fmt::format("{:.4f}", p.x));
      row.push_back(fmt::format("{:.4f}", p.y));
    }
    csv += csv_row(row);
    spacing += csv_row({image, fmt::format("{:.6f}", mm_per_px), fmt::format("{:.6f}", mm_per_px)});
  }
  for (const std::string& n : synth_landmark_names(o.landmarks)) names += n + "\n";
  write_file_atomically((root / "landmarks.csv").string(), csv);
  write_file_atomically((root / "spacing.csv").string(), spacing);
  write_file_atomically((root / "landmarks.txt").string(), names);
}

}  // namespace heatmark
