#include "data/input_spec.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <istream>
#include <ostream>

#include "base/error.h"

namespace heatmark {

std::string InputSize::str() const { return square() ? std::to_string(width) : fmt::format("{}x{}", width, height); }

namespace {
// A whole positive decimal number, nothing else.
bool parse_side(std::string_view text, int64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value > 0;
}
}  // namespace

InputSize parse_input_size(const std::string& text, const std::string& what) {
  const size_t x = text.find_first_of("xX");
  int64_t w = 0, h = 0;
  const bool ok = x == std::string::npos ? parse_side(text, w) && (h = w, true)
                                         : parse_side(std::string_view(text).substr(0, x), w) &&
                                               parse_side(std::string_view(text).substr(x + 1), h);
  HM_CHECK(ok, "{}: expected a side like 256 or width x height like 256x320, got '{}'", what, text);
  return {w, h};
}

std::istream& operator>>(std::istream& in, InputSize& size) {
  std::string text;
  in >> text;
  size = parse_input_size(text);
  return in;
}

std::ostream& operator<<(std::ostream& out, const InputSize& size) { return out << size.str(); }

void to_json(nlohmann::json& json, const InputSize& size) {
  json = size.square() ? nlohmann::json(size.width) : nlohmann::json(size.str());
}

void from_json(const nlohmann::json& json, InputSize& size) {
  if (json.is_string()) {
    size = parse_input_size(json.get<std::string>(), "input_size");
    return;
  }
  HM_CHECK(json.is_number_integer(), "input_size: expected a whole number or a string like \"256x320\", got {}",
           json.is_structured() ? std::string(json.type_name()) : json.dump());
  size = InputSize(json.get<int64_t>());
}

}  // namespace heatmark
