#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace heatmark {

double LrSchedule::at(int64_t step) const {
  if (step < warmup_steps) return base * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  if (kind == "constant") return base;
  if (kind == "step") return base * std::pow(gamma, static_cast<double>(step / std::max<int64_t>(step_every, 1)));
  const double span = static_cast<double>(std::max<int64_t>(total_steps - warmup_steps, 1));
  const double t = std::min(1.0, static_cast<double>(step - warmup_steps) / span);
  return base * 0.5 * (1 + std::cos(M_PI * t));
}

double LrSchedule::at_progress(int64_t step, double progress) const {
  if (step < warmup_steps) return base * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  if (kind == "constant") return base;
  return base * 0.5 * (1 + std::cos(M_PI * std::clamp(progress, 0.0, 1.0)));
}

}  // namespace heatmark
