// The training config's numeric ranges: one table (train_setting_ranges()),
// enforced at both ends by validate() with a message naming the field, its
// flag, the value and the range, and listed in docs/SETTINGS.md.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "train/train_config.h"

using namespace heatmark;

namespace {
TrainConfig valid_config() {
  TrainConfig c;
  c.data = "data";
  c.out = "run";
  return c;
}

// The config with `field` ("lr", "augment.noise") set to `value` through its JSON form.
TrainConfig with(const std::string& field, const nlohmann::json& value) {
  TrainConfig c = valid_config();
  nlohmann::json j = nlohmann::json::object();
  const size_t dot = field.find('.');
  if (dot == std::string::npos)
    j[field] = value;
  else
    j[field.substr(0, dot)][field.substr(dot + 1)] = value;
  update_from_json(c, j, "test");
  return c;
}

std::string validation_error(const TrainConfig& c) {
  try {
    c.validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool is_integer_field(const std::string& field) {
  const nlohmann::json j = to_json(valid_config());
  const size_t dot = field.find('.');
  const nlohmann::json& v = dot == std::string::npos ? j.at(field) : j.at(field.substr(0, dot)).at(field.substr(dot + 1));
  return v.is_number_integer();
}
}  // namespace

TEST_CASE("train config: the defaults are inside every range") {
  CHECK(validation_error(valid_config()).empty());
  CHECK(train_setting_ranges().size() >= 25);
}

TEST_CASE("train config: every numeric setting is refused just outside its range, naming field, flag, value and range") {
  for (const SettingRange& r : train_setting_ranges()) {
    INFO("field ", r.field);
    const bool integer = is_integer_field(r.field);
    // Just outside each end: the next integer for integer fields, a relative step for the others.
    const double below = integer ? r.min - 1 : r.min_open ? r.min : r.min - std::max(1e-12, std::abs(r.min) * 1e-6);
    const double above = integer ? r.max + 1 : r.max_open ? r.max : r.max + std::max(1e-12, std::abs(r.max) * 1e-6);
    for (const double v : {below, above}) {
      const nlohmann::json value = integer ? nlohmann::json(static_cast<int64_t>(v)) : nlohmann::json(v);
      const std::string message = validation_error(with(r.field, value));
      INFO("value ", value.dump(), ": ", message);
      CHECK(message.find(std::string("train: ") + r.field) == 0);
      if (*r.flag) CHECK(message.find(fmt::format("({})", r.flag)) != std::string::npos);
      CHECK(message.find("must be in " + r.str()) != std::string::npos);
    }
    // Each end itself is valid where the range includes it.
    if (!r.min_open && std::string(r.field) != "augment.scale_max")
      CHECK(validation_error(with(r.field, integer ? nlohmann::json(static_cast<int64_t>(r.min)) : nlohmann::json(r.min))).empty());
    if (!r.max_open && std::string(r.field) != "augment.scale_min")
      CHECK(validation_error(with(r.field, integer ? nlohmann::json(static_cast<int64_t>(r.max)) : nlohmann::json(r.max))).empty());
  }
}

TEST_CASE("train config: NaN and infinity are refused, naming the value") {
  TrainConfig c = valid_config();
  c.augment.rotation_degrees = NAN;
  CHECK(validation_error(c) == "train: augment.rotation_degrees (--rotation) must be in [0, 180], got nan");
  c = valid_config();
  c.weight_decay = INFINITY;
  CHECK(validation_error(c) == "train: weight_decay (--weight-decay) must be in [0, 10], got inf");
}

TEST_CASE("train config: docs/SETTINGS.md lists every range as the code checks it") {
  std::ifstream in(std::string(HEATMARK_SOURCE_DIR) + "/docs/SETTINGS.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  for (const SettingRange& r : train_setting_ranges()) {
    const std::string row = fmt::format("| `{}` | {} | {} | {} |", r.field, *r.flag ? fmt::format("`{}`", r.flag) : "",
                                        r.str(), r.note);
    INFO("expected the row: ", row);
    CHECK(text.str().find(row) != std::string::npos);
  }
}
