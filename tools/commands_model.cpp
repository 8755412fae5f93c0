// heatmark import-timm and heatmark inspect: making and describing model files.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>

#include "base/defaults.h"
#include "hrnet/model_file.h"
#include "hrnet/timm_import.h"
#include "tensor/output_paths.h"
#include "tools/commands.h"

namespace heatmark::cli {

namespace {
struct ImportOptions {
  std::string file, model = "hrnet_w32", out, head = "simple";
  int64_t landmarks = 2;
  InputSize input_size;
  bool force = false;
};

// Builds a model of the chosen layout with RGB ImageNet input, copies timm's
// pretrained backbone into it, and writes it as a heatmark model file.
int import_timm_command(const ImportOptions& o) {
  output_format(o.out, "--out", {".safetensors"});
  check_output_file(o.out, "--out", {{o.file, "the timm weights"}}, o.force);
  HRNetConfig config = hrnet_preset(o.model);
  config.use_imagenet_input();
  config.head = parse_head(o.head);
  config.num_landmarks = o.landmarks;
  config.input_size = o.input_size;
  HRNet model(config);
  const ImportReport report = import_timm(model, o.file);
  fmt::print("{}: {}\n", o.file, report.summary());
  if (!report.complete()) {
    fmt::print(stderr, "heatmark: error: {} does not fit {}: backbone tensors are missing or mismatched (see above)\n",
               o.file, o.model);
    return 1;
  }
  save_model(model, o.out, {{"heatmark.pretrained", o.file}});
  fmt::print("wrote {} ({} parameters; the {} head is freshly initialised)\n", o.out, model.parameter_count(), o.head);
  return 0;
}

// Prints what a model file holds.
int inspect_command(const std::string& path) {
  std::unique_ptr<HRNet> model = load_model(path);
  const HRNetConfig& c = model->config();
  fmt::print("{}: {} with the {} head\n", path, c.name, head_name(c.head));
  fmt::print("input: {} channel{}, {}x{} (heatmaps {}x{}); normalisation mean {} std {}\n", c.in_channels,
             c.in_channels > 1 ? "s" : "", c.input_size.width, c.input_size.height, c.heatmap_width(), c.heatmap_height(),
             fmt::join(c.input_mean, ", "), fmt::join(c.input_std, ", "));
  fmt::print("stem {}, stage 1: {} Bottleneck(s) of {} planes\n", c.stem_width, c.stage1_blocks, c.stage1_planes);
  for (size_t s = 0; s < c.stages.size(); ++s)
    fmt::print("stage {}: {} module(s) of {} BasicBlocks per branch, widths {}\n", s + 2, c.stages[s].modules,
               c.stages[s].blocks, fmt::join(c.stages[s].widths, "/"));
  fmt::print("landmarks: {}", c.num_landmarks);
  if (!c.landmark_names.empty()) fmt::print(" ({})", fmt::join(c.landmark_names, ", "));
  fmt::print("\nparameters: {}\n", model->parameter_count());
  for (const auto& [part, count] : model->parameter_counts()) fmt::print("  {:<8} {:>12}\n", part, count);
  return 0;
}
}  // namespace

Command add_import_timm(CLI::App& parent) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* cmd = parent.add_subcommand("import-timm", "Make a model from timm's ImageNet-pretrained HRNet weights");
  cmd->add_option("file", o->file, "timm model.safetensors")->required()->check(CLI::ExistingFile);
  cmd->add_option("--model", o->model, "hrnet_w18_small, hrnet_w18, hrnet_w32 or hrnet_w48")->capture_default_str();
  cmd->add_option("--out", o->out, "The model file to write (.safetensors)")->required();
  cmd->add_flag("--force", o->force, "Replace an existing --out file (never the timm weights)");
  cmd->add_option("--head", o->head, "simple, concat or deconv")->capture_default_str();
  cmd->add_option("--landmarks", o->landmarks, "Number of landmarks K")->capture_default_str();
  cmd->add_option("--input-size", o->input_size, "Input size: a side, or WxH (multiples of 32)")
      ->check(input_size_check())
      ->type_name("SIZE")
      ->capture_default_str();
  return {cmd, [o] { return import_timm_command(*o); }};
}

Command add_inspect(CLI::App& parent) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand("inspect", "Describe a model file: architecture, sizes, parameters");
  cmd->add_option("model", *path, "A heatmark model file")->required();
  return {cmd, [path] { return inspect_command(*path); }};
}

}  // namespace heatmark::cli
