// An exponential moving average of a model's weights (Polyak averaging), the
// model that validation scores and `best` keeps when it is on.
//
// With ~100 training images, the weights of one step are noisy and the
// validation split is small: an epoch that scores well on 11 images is often
// luck. The average over the last ~1 / (1 - decay) steps is smoother, so
// picking the best epoch on it picks less noise. Batch-norm running
// statistics are averaged the same way, so they stay matched to the averaged
// weights. The first steps use a shorter memory, min(decay, (1 + n) / (10 + n))
// after n updates, so the average does not remember the random initialisation.
#pragma once

#include <cstdint>
#include <memory>

#include "hrnet/hrnet.h"

namespace heatmark {

class WeightAverage {
 public:
  // A copy of `model` (same config and device) to average into.
  WeightAverage(HRNet& model, double decay);

  // average = d average + (1 - d) model, over every parameter and buffer.
  void update(HRNet& model);

  HRNet& model() { return *average_; }
  double decay() const { return decay_; }
  int64_t updates() const { return updates_; }
  void set_updates(int64_t n) { updates_ = n; }  // restored from a checkpoint

 private:
  double decay_;
  int64_t updates_ = 0;
  std::unique_ptr<HRNet> average_;
};

}  // namespace heatmark
