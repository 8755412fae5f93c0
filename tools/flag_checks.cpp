// Flag value checks shared by the subcommands (tools/commands.h).
#include <fmt/format.h>

#include <string>

#include "base/error.h"
#include "data/input_spec.h"
#include "tools/commands.h"
#include "train/train_config.h"

namespace heatmark::cli {

namespace {
// A check that reports a heatmark::Error's message as CLI11's complaint
// (CLI11 puts the flag's name in front: the message's own is dropped).
template <typename F>
CLI::Validator checked(const char* description, const std::string& flag, F check) {
  return CLI::Validator(
      [check, flag](std::string& text) {
        try {
          check(text, flag);
          return std::string();
        } catch (const Error& e) {
          const std::string message = e.what();
          return message.starts_with(flag + ": ") ? message.substr(flag.size() + 2) : message;
        }
      },
      description);
}
}  // namespace

CLI::Validator input_size_check() {
  return checked("SIZE", "--input-size",
                 [](std::string& text, const std::string& flag) { parse_input_size(text, flag); });
}

CLI::Validator duration_to_seconds() {
  return checked("DURATION", "--time-budget", [](std::string& text, const std::string& flag) {
    text = fmt::format("{}", parse_duration(text, flag));
  });
}

CLI::Validator number_in(double min, double max, const std::string& note) {
  return CLI::Validator(
      [min, max, note](std::string& text) {
        double v = 0;
        size_t used = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == text.size() && used > 0 && v >= min && v <= max) return std::string();
        return fmt::format("must be in [{}, {}]{}, got {}", min, max, note.empty() ? "" : " (" + note + ")", text);
      },
      fmt::format("NUMBER in [{}, {}]", min, max));
}

CLI::Validator mm_per_px_check() { return number_in(0, 100, "0: unknown"); }

CLI::Validator unsigned_check() {
  return CLI::Validator(
      [](std::string& text) {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        return digits ? std::string() : fmt::format("must be an integer in [0, 18446744073709551615], got {}", text);
      },
      "UINT");
}

}  // namespace heatmark::cli
