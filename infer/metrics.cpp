#include "infer/metrics.h"

#include <cmath>

#include <fmt/format.h>

namespace heatmark {

Metrics compute_metrics(const std::vector<std::vector<Point>>& predictions, const std::vector<const Sample*>& samples) {
  Metrics m;
  m.images = static_cast<int64_t>(samples.size());
  if (samples.empty()) return m;
  const size_t K = samples[0]->landmarks.size();
  bool mm = true;
  for (const Sample* s : samples) mm = mm && s->has_spacing();
  m.landmark_mre_px.assign(K, 0);
  if (mm) m.landmark_mre_mm.assign(K, 0);
  double within[4] = {0, 0, 0, 0}, total_px = 0, total_mm = 0;
  for (size_t i = 0; i < samples.size(); ++i)
    for (size_t k = 0; k < K; ++k) {
      const Point& p = predictions[i][k];
      const Point& t = samples[i]->landmarks[k];
      const double dx = p.x - t.x, dy = p.y - t.y;
      const double px = std::hypot(dx, dy);
      m.landmark_mre_px[k] += px;
      total_px += px;
      if (mm) {
        const double e = std::hypot(dx * samples[i]->mm_per_px_x, dy * samples[i]->mm_per_px_y);
        m.landmark_mre_mm[k] += e;
        total_mm += e;
        for (int r = 0; r < 4; ++r) within[r] += e <= kSdrRadiiMm[r];
      }
    }
  const double n = static_cast<double>(samples.size()), points = n * static_cast<double>(K);
  m.mre_px = total_px / points;
  for (double& v : m.landmark_mre_px) v /= n;
  if (mm) {
    m.mre_mm = total_mm / points;
    for (double& v : m.landmark_mre_mm) v /= n;
    for (int r = 0; r < 4; ++r) m.sdr[r] = 100.0 * within[r] / points;
  }
  return m;
}

std::vector<std::vector<Point>> constant_predictions(const std::vector<const Sample*>& train,
                                                     const ImageSizes& train_sizes, size_t evaluated,
                                                     const ImageSizes& evaluated_sizes) {
  const size_t K = train.empty() ? 0 : train[0]->landmarks.size();
  const double n = static_cast<double>(train.size());
  std::vector<Point> mean(K);
  for (size_t i = 0; i < train.size(); ++i)
    for (size_t k = 0; k < K; ++k) {
      mean[k].x += train[i]->landmarks[k].x / static_cast<double>(train_sizes[i].first) / n;
      mean[k].y += train[i]->landmarks[k].y / static_cast<double>(train_sizes[i].second) / n;
    }
  std::vector<std::vector<Point>> out;
  for (size_t j = 0; j < evaluated; ++j) {
    const auto [w, h] = evaluated_sizes[j];
    std::vector<Point> points;
    for (const Point& p : mean) points.push_back({p.x * static_cast<double>(w), p.y * static_cast<double>(h)});
    out.push_back(points);
  }
  return out;
}

std::string metrics_line(const Metrics& m) {
  if (!m.has_mm()) return fmt::format("MRE {:.2f} px", m.mre_px);
  return fmt::format("MRE {:.2f} mm ({:.2f} px), SDR 2/2.5/3/4 mm {:.1f}/{:.1f}/{:.1f}/{:.1f} %", m.mre_mm, m.mre_px,
                     m.sdr[0], m.sdr[1], m.sdr[2], m.sdr[3]);
}

std::string landmark_table(const Metrics& m, const std::vector<std::string>& names) {
  std::string s = fmt::format("{:<36} {:>10}{}\n", "landmark", "MRE px", m.has_mm() ? fmt::format("{:>10}", "MRE mm") : "");
  for (size_t k = 0; k < m.landmark_mre_px.size(); ++k) {
    s += fmt::format("{:<36} {:>10.2f}", k < names.size() ? names[k] : std::to_string(k + 1), m.landmark_mre_px[k]);
    if (m.has_mm()) s += fmt::format("{:>10.2f}", m.landmark_mre_mm[k]);
    s += "\n";
  }
  return s;
}

}  // namespace heatmark
