// heatmark train and heatmark synth.
#include <fmt/format.h>

#include <memory>
#include <vector>

#include "base/error.h"
#include "tools/commands.h"
#include "train/interrupt.h"
#include "infer/metrics.h"
#include "train/synth.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace heatmark::cli {

namespace {

// A flag bound to a field of TrainConfig. Flags given on the command line
// override the --config file, field by field.
struct TrainFlags {
  TrainConfig parsed;
  std::string config_file, resume;
  bool force = false, accept_mismatch = false;
  std::vector<std::pair<CLI::Option*, std::function<void(TrainConfig&, const TrainConfig&)>>> fields;

  template <typename T>
  CLI::Option* add(CLI::App* cmd, const std::string& name, T TrainConfig::*field, const std::string& help) {
    // Given twice, the last one wins (as scripts that add flags to a default set expect).
    CLI::Option* option = cmd->add_option(name, parsed.*field, help)
                              ->capture_default_str()
                              ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    fields.emplace_back(option, [field](TrainConfig& dst, const TrainConfig& src) { dst.*field = src.*field; });
    return option;
  }
  CLI::Option* add_flag(CLI::App* cmd, const std::string& name, bool TrainConfig::*field, const std::string& help) {
    CLI::Option* option = cmd->add_flag(name, parsed.*field, help);
    fields.emplace_back(option, [field](TrainConfig& dst, const TrainConfig& src) { dst.*field = src.*field; });
    return option;
  }
  template <typename T>
  void add_augment(CLI::App* cmd, const std::string& name, T AugmentOptions::*field, const std::string& help) {
    CLI::Option* option = cmd->add_option(name, parsed.augment.*field, help)
                              ->capture_default_str()
                              ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    fields.emplace_back(option,
                        [field](TrainConfig& dst, const TrainConfig& src) { dst.augment.*field = src.augment.*field; });
  }

  TrainConfig effective() const {
    TrainConfig c = config_file.empty() ? TrainConfig{} : read_train_config(config_file);
    for (const auto& [option, copy] : fields)
      if (option->count() > 0 || config_file.empty()) copy(c, parsed);
    return c;
  }
};

int train_command(const TrainFlags& flags) {
  const bool resume = !flags.resume.empty();
  // A resumed run keeps its recorded config: a --config file is refused rather than ignored.
  HM_CHECK(!resume || flags.config_file.empty(),
           "--config {} cannot be combined with --resume {}: a resumed run keeps the config it recorded ({}/config.json)",
           flags.config_file, flags.resume, flags.resume);
  TrainConfig config = resume ? resume_config(flags.resume, "--resume") : flags.effective();
  if (resume) {
    // A resumed run keeps its config; only how long it runs may change.
    for (const auto& [option, copy] : flags.fields) {
      const std::string name = option->get_name();
      if (option->count() == 0) continue;
      HM_CHECK(name == "--epochs" || name == "--patience" || name == "--max-steps" || name == "--threads" ||
                   name == "--time-budget",
               "--resume continues a run with its own config; {} cannot change (only --epochs, --patience, "
               "--max-steps, --time-budget and --threads can)",
               name);
      copy(config, flags.parsed);
    }
  } else {
    make_input_paths_absolute(config);
  }
  if (config.time_budget > 0)
    for (const auto& [option, copy] : flags.fields) {
      const std::string name = option->get_name();
      HM_CHECK(option->count() == 0 || (name != "--epochs" && name != "--patience"),
               "{} {} cannot be combined with --time-budget: the budget alone ends the run", name,
               option->as<std::string>());
    }
  install_stop_handlers();
  const TrainSummary s =
      train(config, TrainStart{.resume = resume, .accept_mismatch = flags.accept_mismatch, .force = flags.force}, stdout);
  fmt::print("\n{}\n", s.stop_reason);
  if (s.stopped_by_signal) return 128 + s.stopped_by_signal;  // the shell's convention for a signal
  if (s.best_epoch >= 0 && s.best.images > 0) {
    if (s.stage1.images > 0) fmt::print("stage 1 alone: validation {}\n", metrics_line(s.stage1));
    fmt::print("best epoch {}: validation {}\n", s.best_epoch + 1, metrics_line(s.best));
    fmt::print("constant predictor (mean training position): {}\n", metrics_line(s.constant));
    fmt::print("the model's error is {:.1f}% of the constant predictor's\n",
               100.0 * s.best.score() / std::max(s.constant.score(), 1e-12));
  }
  fmt::print("run folder {}: best.safetensors (model), last.safetensors (checkpoint), metrics.csv, curves.svg, "
             "config.json, val_predictions.csv\n",
             s.run_folder);
  return 0;
}

int synth_command(const SynthOptions& o) {
  synthesize_dataset(o);
  fmt::print("wrote {} images of {}x{} with {} landmark(s) to {} (landmarks.csv, landmarks.txt, spacing.csv, images/)\n",
             o.count, o.size, o.size, o.landmarks, o.out);
  return 0;
}

}  // namespace

Command add_train(CLI::App& parent) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* cmd = parent.add_subcommand("train", "Train a landmark detector on an annotated dataset");
  cmd->add_option("--config", f->config_file, "JSON config file (flags given here override it)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--resume", f->resume, "Continue the run in this folder from its last checkpoint");
  cmd->add_flag("--accept-mismatch", f->accept_mismatch,
                "With --resume: continue even where the data, split or config differ from what the checkpoint recorded");
  cmd->add_flag("--force", f->force, "Start a new run in a non-empty --out folder (never the dataset's)");
  f->add(cmd, "--data", &TrainConfig::data, "Dataset folder");
  f->add(cmd, "--format", &TrainConfig::format, "auto, folder, isbi, aariz or labelme");
  f->add(cmd, "--images", &TrainConfig::images, "Image folder (ISBI txt annotations)");
  f->add(cmd, "--aariz-split", &TrainConfig::aariz_split, "Aariz: train, valid or test (default: all)");
  f->add(cmd, "--landmarks", &TrainConfig::landmarks, "Landmarks to learn, by name or 1-based index, comma-separated");
  f->add(cmd, "--val-fraction", &TrainConfig::val_fraction, "Share of subjects held out for validation");
  f->add(cmd, "--train-list", &TrainConfig::train_list, "File listing the training images (with --val-list)");
  f->add(cmd, "--val-list", &TrainConfig::val_list, "File listing the validation images");
  f->add(cmd, "--mm-per-px", &TrainConfig::mm_per_px, "Pixel spacing when the dataset gives none (ISBI: 0.1)");
  f->add(cmd, "--stretch", &TrainConfig::stretch, "Stretch images to the input instead of letterboxing");
  f->add_flag(cmd, "--allow-outside-paths", &TrainConfig::allow_outside_paths,
              "Let annotations name images outside the dataset folder");
  f->add(cmd, "--model", &TrainConfig::model, "hrnet_w18_small, hrnet_w18, hrnet_w32 or hrnet_w48");
  f->add(cmd, "--head", &TrainConfig::head, "simple, concat or deconv");
  f->add(cmd, "--pretrained", &TrainConfig::pretrained, "timm ImageNet weights or a heatmark model file");
  f->add(cmd, "--input-size", &TrainConfig::input_size, "Input size: a side, or WxH like 256x320 (multiples of 32)")
      ->check(input_size_check())
      ->type_name("SIZE");
  f->add(cmd, "--sigma", &TrainConfig::sigma, "Target Gaussian sigma, in heatmap pixels");
  f->add(cmd, "--beta", &TrainConfig::beta, "Soft-argmax temperature");
  f->add(cmd, "--batch", &TrainConfig::batch, "Batch size");
  f->add(cmd, "--epochs", &TrainConfig::epochs, "Maximum number of epochs");
  f->add(cmd, "--patience", &TrainConfig::patience, "Early stopping: epochs without a better validation MRE (0: off)");
  f->add(cmd, "--lr", &TrainConfig::lr, "Adam learning rate");
  f->add(cmd, "--weight-decay", &TrainConfig::weight_decay, "Adam weight decay");
  f->add(cmd, "--max-grad-norm", &TrainConfig::max_grad_norm, "Clip the global gradient norm (0: off)");
  f->add(cmd, "--schedule", &TrainConfig::schedule, "cosine, step or constant");
  f->add(cmd, "--warmup-epochs", &TrainConfig::warmup_epochs, "Linear warmup length, in epochs");
  f->add(cmd, "--step-epochs", &TrainConfig::step_epochs, "Step schedule: epochs between decays");
  f->add(cmd, "--step-gamma", &TrainConfig::step_gamma, "Step schedule: decay factor");
  f->add(cmd, "--heatmap-weight", &TrainConfig::heatmap_weight, "Weight of the heatmap MSE term");
  f->add(cmd, "--coord-weight", &TrainConfig::coordinate_weight, "Weight of the coordinate L1 term");
  f->add_augment(cmd, "--augment", &AugmentOptions::enabled, "Random affine and intensity augmentation");
  f->add_augment(cmd, "--rotation", &AugmentOptions::rotation_degrees, "Augmentation: rotation range, degrees");
  f->add_augment(cmd, "--flip", &AugmentOptions::flip, "Augmentation: random horizontal flips");
  f->add(cmd, "--seed", &TrainConfig::seed, "Random seed (split, initialisation, data order, augmentation)")
      ->check(unsigned_check());
  f->add(cmd, "--device", &TrainConfig::device, "cpu, cuda, cuda:N or emu");
  f->add(cmd, "--kernels", &TrainConfig::kernels,
         "handwritten, or vendor: oneDNN for conv on cpu, cuDNN/cuBLAS on cuda (loaded at run time)");
  f->add(cmd, "--threads", &TrainConfig::threads, "CPU threads (0: all)");
  f->add(cmd, "--out", &TrainConfig::out, "Run folder for checkpoints and metrics");
  f->add(cmd, "--max-steps", &TrainConfig::max_steps, "Stop after this many steps (0: no limit)");
  f->add(cmd, "--time-budget", &TrainConfig::time_budget,
         "Train for this much wall-clock time, validation included (45m, 1h30m, 90s); the LR schedule is planned "
         "on it")
      ->transform(duration_to_seconds())
      ->type_name("DURATION");
  f->add_flag(cmd, "--refine", &TrainConfig::refine, "Train the patch refiner (stage 2) after stage 1, in the same run");
  f->add(cmd, "--refine-from", &TrainConfig::refine_from,
         "Train only the patch refiner, on this stage-1 model file; the run's best model holds both stages");
  f->add(cmd, "--refine-model", &TrainConfig::refine_model, "The refiner's layout (an HRNet preset)");
  f->add(cmd, "--refine-size", &TrainConfig::refine_size, "Refiner patch side in pixels (a multiple of 32)");
  f->add(cmd, "--refine-scale", &TrainConfig::refine_scale,
         "Refiner patch pixels per stage-1 input pixel (0: the training images' own resolution)");
  f->add(cmd, "--refine-share", &TrainConfig::refine_share, "With --refine and --time-budget: stage 2's share");
  f->add(cmd, "--refine-epochs", &TrainConfig::refine_epochs, "Stage 2's epochs without a time budget");
  f->add(cmd, "--ema", &TrainConfig::ema_decay,
         "Decay of the weight average that validation scores and best keeps (0: off; e.g. 0.998)");
  return {cmd, [f] { return train_command(*f); }};
}

Command add_synth(CLI::App& parent) {
  auto o = std::make_shared<SynthOptions>();
  CLI::App* cmd = parent.add_subcommand("synth", "Generate a dataset of X-ray-like images with landmarks");
  cmd->add_option("--out", o->out, "Dataset folder to write")->required();
  cmd->add_option("--count", o->count, "Number of images")->capture_default_str();
  cmd->add_option("--size", o->size, "Image side in pixels")->capture_default_str();
  cmd->add_option("--landmarks", o->landmarks, "Landmarks per image")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->check(unsigned_check())->capture_default_str();
  cmd->add_option("--mm-per-px", o->mm_per_px, "Pixel spacing (0: a 220 mm field of view across the image)")
      ->check(mm_per_px_check());
  cmd->add_flag("--force", o->force, "Write into a non-empty --out folder, replacing a dataset there");
  return {cmd, [o] { return synth_command(*o); }};
}

}  // namespace heatmark::cli
