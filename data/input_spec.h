// What a model takes as input: the square side, the channels, the
// normalisation and how images are fitted to the square. A model's config
// yields its own (HRNetConfig::input_spec), so training and inference cannot
// disagree; data/preprocess.h turns an image into such an input.
#pragma once

#include <cstdint>
#include <vector>

#include "base/defaults.h"

namespace heatmark {

struct InputSpec {
  int64_t size = defaults::kInputSize;  // square input side
  int64_t channels = 1;                 // 1 or 3 (gray images are replicated)
  std::vector<float> mean{defaults::kInputMean}, std{defaults::kInputStd};
  bool stretch = false;                 // stretch instead of letterbox
};

}  // namespace heatmark
