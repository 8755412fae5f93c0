// The subcommands of the `heatmark` program. Each add_* function declares a
// subcommand and its flags on the parent app and returns what runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace heatmark::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;  // the exit status
};

// Value checks that run before CLI11 converts a flag (flag_checks.cpp), so a
// bad value is reported with the flag's name: --input-size "256" or
// "256x320"; --time-budget "45m", "1h30m", "90s" or seconds (rewritten to
// seconds for the double it fills).
CLI::Validator input_size_check();
CLI::Validator duration_to_seconds();
// A number in [min, max] (NaN and infinities are not), reported as
// "--batch: must be in [1, 4096], got 5000".
CLI::Validator number_in(double min, double max, const std::string& note = "");
// A pixel spacing: [0, 100] mm per pixel, 0 meaning unknown.
CLI::Validator mm_per_px_check();
// Digits only: an unsigned flag such as --seed, where "-1" must not wrap to 2^64 - 1.
CLI::Validator unsigned_check();

Command add_bench(CLI::App& parent);        // commands_bench.cpp
Command add_import_timm(CLI::App& parent);  // commands_model.cpp
Command add_inspect(CLI::App& parent);      // commands_model.cpp
Command add_synth(CLI::App& parent);        // commands_train.cpp
Command add_train(CLI::App& parent);        // commands_train.cpp
Command add_predict(CLI::App& parent);      // commands_predict.cpp
Command add_eval(CLI::App& parent);         // commands_eval.cpp

}  // namespace heatmark::cli
