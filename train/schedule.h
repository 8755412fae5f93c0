// Learning-rate schedules over optimizer steps: a linear warmup from 0, then
// cosine decay to 0 at the last step, step decay (x gamma every N epochs), or
// constant. A run with a time budget plans the decay on the share of the
// budget spent instead of steps (at_progress).
#pragma once

#include <cstdint>
#include <string>

namespace heatmark {

struct LrSchedule {
  std::string kind = "cosine";  // cosine, step, constant
  double base = 1e-3;
  int64_t warmup_steps = 0, total_steps = 1;
  int64_t step_every = 1;  // steps between decays (step schedule)
  double gamma = 0.1;

  double at(int64_t step) const;  // the rate for step (0-based)
  // The rate for `step` once `progress` (in [0, 1]) of a time budget will
  // have been spent at its end: warmup still by steps, then cosine (or
  // constant) over progress, reaching its final value at progress 1.
  double at_progress(int64_t step, double progress) const;
};

}  // namespace heatmark
