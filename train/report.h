// What a training run shows and leaves behind: the progress line, metrics.csv
// (one row per epoch) and curves.svg (loss and validation MRE per epoch).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "train/checkpoint.h"

namespace heatmark {

void write_metrics_csv(const std::string& path, const std::vector<EpochRecord>& history);
void write_curves_svg(const std::string& path, const std::vector<EpochRecord>& history, bool mm);

// A progress bar redrawn in place on a terminal; plain lines otherwise (one
// every 30 seconds and at the end of each epoch). `epochs` 0 is a run with a
// time budget: no epoch count, and the time left in the budget instead of
// an ETA.
class Progress {
 public:
  explicit Progress(std::FILE* out, int64_t epochs);
  void step(int64_t epoch, int64_t batch, int64_t batches, double loss, double lr, double images_per_second,
            double seconds_left);
  void line(const std::string& text);  // a finished line (clears the bar first)

 private:
  std::FILE* out_;
  bool tty_;
  int64_t epochs_;
  std::chrono::steady_clock::time_point last_plain_;
  bool printed_plain_ = false;
};

std::string format_duration(double seconds);  // "1:02:03", "4:05"

}  // namespace heatmark
