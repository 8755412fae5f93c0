#include "train/weight_average.h"

#include <algorithm>

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "hrnet/model_file.h"
#include "tensor/kernels.h"

namespace heatmark {

WeightAverage::WeightAverage(HRNet& model, double decay)
    : decay_(decay), average_(std::make_unique<HRNet>(model.config())) {
  HM_CHECK(decay > 0 && decay < 1, "weight average: decay must be in (0, 1), got {}", decay);
  average_->to(model.parameters().front()->device());
  auto from = state_tensors(model), to = state_tensors(*average_);
  for (size_t i = 0; i < to.size(); ++i) kernels::copy(to[i].second, from[i].second);
  average_->eval();  // it is only ever evaluated
}

void WeightAverage::update(HRNet& model) {
  NoGrad no_grad;
  const double n = static_cast<double>(updates_);
  const float d = static_cast<float>(std::min(decay_, (1 + n) / (10 + n)));
  auto from = state_tensors(model), to = state_tensors(*average_);
  for (size_t i = 0; i < to.size(); ++i) {
    Tensor mixed = kernels::scale(to[i].second, d);
    kernels::accumulate(mixed, kernels::scale(from[i].second, 1.0f - d));
    kernels::copy(to[i].second, mixed);
  }
  ++updates_;
}

}  // namespace heatmark
