// Flag value checks shared by the subcommands (tools/commands.h).
#include <fmt/format.h>

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

}  // namespace heatmark::cli
