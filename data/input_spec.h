// What a model takes as input: its width and height, the channels, the
// normalisation and how images are fitted to it. A model's config yields its
// own (HRNetConfig::input_spec), so training and inference cannot disagree;
// data/preprocess.h turns an image into such an input.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "base/defaults.h"

namespace heatmark {

// An input's width x height in pixels. One number is a square (implicit, so
// `size = 256` reads as it always has).
struct InputSize {
  int64_t width = defaults::kInputSize, height = defaults::kInputSize;

  InputSize() = default;
  InputSize(int64_t side) : width(side), height(side) {}  // NOLINT: a square
  InputSize(int64_t w, int64_t h) : width(w), height(h) {}

  bool square() const { return width == height; }
  // "256" for a square, else "256x320" (width first).
  std::string str() const;
  bool operator==(const InputSize&) const = default;
};

// Parses "256" or "256x320" (W x H); throws heatmark::Error naming `what` and
// the text. Range checks belong to the caller's validate().
InputSize parse_input_size(const std::string& text, const std::string& what = "input size");

// For CLI11: reads and writes str()'s form.
std::istream& operator>>(std::istream& in, InputSize& size);
std::ostream& operator<<(std::ostream& out, const InputSize& size);
// In JSON: a number for a square (as files before non-square inputs have
// it), "256x320" otherwise; both are read. A bad string throws
// heatmark::Error naming input_size.
void to_json(nlohmann::json& json, const InputSize& size);
void from_json(const nlohmann::json& json, InputSize& size);

struct InputSpec {
  InputSize size;         // the input's width x height
  int64_t channels = 1;   // 1 or 3 (gray images are replicated)
  std::vector<float> mean{defaults::kInputMean}, std{defaults::kInputStd};
  bool stretch = false;   // stretch instead of letterbox
};

}  // namespace heatmark
