// Landmark errors and the metrics reported per epoch and by `eval`:
// mean radial error (MRE) in original-image pixels, in mm where the spacing
// is known, the success detection rate (SDR: the share of landmarks within
// 2, 2.5, 3 and 4 mm), and each landmark's MRE.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace heatmark {

inline constexpr double kSdrRadiiMm[4] = {2.0, 2.5, 3.0, 4.0};

struct Metrics {
  int64_t images = 0;
  double mre_px = 0;
  double mre_mm = -1;  // -1 when some image has no spacing
  double sdr[4] = {-1, -1, -1, -1};
  std::vector<double> landmark_mre_px, landmark_mre_mm;
  bool has_mm() const { return mre_mm >= 0; }
  // The number the trainer minimises: MRE in mm if known, else in pixels.
  double score() const { return has_mm() ? mre_mm : mre_px; }
};

// predictions[i][k] for samples[i] (original-image pixels).
Metrics compute_metrics(const std::vector<std::vector<Point>>& predictions, const std::vector<const Sample*>& samples);

// Image sizes as (width, height).
using ImageSizes = std::vector<std::pair<int64_t, int64_t>>;

// The best constant predictor: the mean training position of each landmark,
// in coordinates normalised by the image size, placed in each evaluated image.
std::vector<std::vector<Point>> constant_predictions(const std::vector<const Sample*>& train,
                                                     const ImageSizes& train_sizes, size_t evaluated,
                                                     const ImageSizes& evaluated_sizes);

// One line: "MRE 1.52 mm (5.03 px), SDR 2/2.5/3/4 mm 71.1/80.5/86.8/93.7 %".
std::string metrics_line(const Metrics& m);
// A table of per-landmark errors.
std::string landmark_table(const Metrics& m, const std::vector<std::string>& names);

}  // namespace heatmark
