// A finite number from a JSON annotation field, or a one-line error naming
// the file and the field ("img7.json: shapes[2].points[0][1] must be a number, got string").
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

#include "base/error.h"

namespace heatmark {

inline double json_number(const nlohmann::json& j, const std::string& file, const std::string& field) {
  HM_CHECK(j.is_number(), "{}: {} must be a number, got {}", file, field, j.type_name());
  const double v = j.get<double>();
  HM_CHECK(std::isfinite(v), "{}: {} is {}, not a finite number", file, field, v);
  return v;
}

}  // namespace heatmark
