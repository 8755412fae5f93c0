// Grad mode: whether operations record autograd history (per thread).
#pragma once

namespace heatmark {

bool grad_enabled();
void set_grad_enabled(bool enabled);

// While alive, operations on this thread record no history (inference,
// optimizer updates). Restores the previous mode when destroyed.
class NoGrad {
 public:
  NoGrad() : previous_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGrad() { set_grad_enabled(previous_); }
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

}  // namespace heatmark
