// Timing GPU work: CUDA events recorded on the current stream (the GPU's own
// clock, not the host's), and an L2 flush so that a repeat does not find the
// previous one's data still in cache.
#pragma once

#include <cuda_runtime_api.h>

namespace heatmark::cuda {

class EventTimer {
 public:
  EventTimer();
  ~EventTimer();
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  void start();
  void stop();
  float milliseconds() const;  // waits for the stop event

 private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

// Overwrites a device buffer twice the size of the L2 cache.
void flush_l2();

}  // namespace heatmark::cuda
