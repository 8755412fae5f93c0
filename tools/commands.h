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

Command add_bench(CLI::App& parent);        // commands_bench.cpp
Command add_import_timm(CLI::App& parent);  // commands_model.cpp
Command add_inspect(CLI::App& parent);      // commands_model.cpp
Command add_synth(CLI::App& parent);        // commands_train.cpp
Command add_train(CLI::App& parent);        // commands_train.cpp
Command add_predict(CLI::App& parent);      // commands_predict.cpp
Command add_eval(CLI::App& parent);         // commands_eval.cpp

}  // namespace heatmark::cli
