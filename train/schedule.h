// Learning-rate schedules over optimizer steps: a linear warmup from 0, then
// cosine decay to 0 at the last step, step decay (x gamma every N epochs), or
// constant.
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
};

}  // namespace heatmark
