#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <limits>
#include <memory>
#include <map>
#include <numeric>
#include <optional>

#include <fmt/format.h>

#include "autograd/ops.h"
#include "base/error.h"
#include "cuda/info.h"
#include "hrnet/model_file.h"
#include "tensor/atomic_file.h"
#include "tensor/kernels.h"
#include "tensor/parallel.h"
#include "train/checkpoint.h"
#include "train/interrupt.h"
#include "train/loader.h"
#include "train/report.h"
#include "train/run_lock.h"
#include "train/run_record.h"
#include "tensor/output_paths.h"
#include "train/schedule.h"
#include "train/model_setup.h"
#include "train/split.h"
#include "train/step.h"
#include "train/validation.h"
#include "train/weight_average.h"
#include "train/patches.h"
#include "infer/refine.h"

namespace heatmark {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

Dataset load_training_data(const TrainConfig& c) {
  DatasetOptions o;
  o.format = parse_dataset_format(c.format);
  o.images = c.images;
  o.split = c.aariz_split;
  o.default_mm_per_px = c.mm_per_px;
  o.allow_outside_paths = c.allow_outside_paths;
  Dataset d = load_dataset(c.data, o);
  if (d.format == "isbi" && c.mm_per_px == 0)  // the challenge's native spacing
    for (Sample& s : d.samples)
      if (!s.has_spacing()) s.mm_per_px_x = s.mm_per_px_y = 0.1;
  if (!c.landmarks.empty()) select_landmarks(d, c.landmarks);
  return d;
}

Split split_of(const TrainConfig& c, const Dataset& data) {
  return c.train_list.empty() ? random_split(data, c.val_fraction, c.seed)
                              : split_from_lists(data, c.train_list, c.val_list);
}

namespace {

// One training run, told in the order it happens: the data, the model and
// its optimizer, a fresh start or a resume, the batches; then epochs of steps,
// each epoch ending in validation, records and checkpoints; at the end the
// best model scored once more. The members are what the steps share.
class TrainingRun {
 public:
  TrainingRun(const TrainConfig& c, const TrainStart& start, std::FILE* log, TrainingClock clock)
      : c_(c), start_(start), log_(log), run_(c.out), last_path_((run_ / "last.safetensors").string()),
        best_path_((run_ / "best.safetensors").string()), clock_(std::move(clock)), clock_mark_(clock_()) {
    c_.validate();
    if (c_.threads > 0) set_num_threads(c_.threads);
    device_ = cuda::usable_device(Device::parse(c_.device));
    kernels::select_kernel_provider(c_.kernels, device_);
    load_data();
    build_model();
    if (start_.resume)
      resume_from_checkpoint();
    else
      HM_CHECK(start_.force || !fs::exists(last_path_),
               "{} already holds a run; use --resume {} to continue it, or another --out", c_.out, c_.out);
    fmt::print(log_, "model: {} ({} head, {} parameters), input {}x{}, device {}, run folder {}\n", c_.model, c_.head,
               model_->parameter_count(), model_->config().input_size.width, model_->config().input_size.height,
               device_.str(), c_.out);
    prepare_batches();  // decodes every image: a bad one is refused before the run folder gets its config
    write_file_atomically((run_ / "config.json").string(), to_json(c_).dump(2) + "\n");
  }

  TrainSummary run() {
    Progress progress(log_, budgeted() ? 0 : c_.epochs);
    progress_ = &progress;
    run_start_ = Clock::now();
    start_step_ = state_.step;
    while ((budgeted() || state_.epoch < c_.epochs) && !stop_ && !stopped_by_signal()) {
      if (!train_epoch()) {
        if (out_of_time_ && state_.batch > 0) {
          end_epoch();  // the budget ends the run: the last weights are validated and kept like an epoch's
        } else {      // stopped mid-epoch: keep the place for --resume
          save_checkpoint(last_path_, *model_, *optimizer_, state_, c_, record_, averaged());
        }
        break;
      }
      end_epoch();
    }
    return finish();
  }

 private:
  void load_data() {
    data_ = load_training_data(c_);
    split_ = split_of(c_, data_);
    record_ = make_run_record(data_, split_);
    fmt::print(log_, "data: {} ({} format), {} images ({} train, {} validation), {} landmarks\n", c_.data,
               data_.format, data_.samples.size(), split_.train.size(), split_.validation.size(),
               data_.landmark_names.size());
  }

  void build_model() {
    std::error_code created;
    fs::create_directories(run_, created);
    HM_CHECK(!created, "cannot create the run folder {}: {}", c_.out, created.message());
    if (refining()) {
      stage1_ = load_model(c_.refine_from);
      HM_CHECK(stage1_->config().num_landmarks == static_cast<int64_t>(data_.landmark_names.size()),
               "--refine-from {}: the model finds {} landmarks but the data has {}", c_.refine_from,
               stage1_->config().num_landmarks, data_.landmark_names.size());
      stage1_->to(device_);
      stage1_->eval();
      model_ = std::make_unique<HRNet>(refiner_config(c_, data_), c_.seed);
    } else {
      model_ = make_model(c_, model_config(c_, data_), log_);
    }
    model_->to(device_);
    model_->train();
    if (c_.ema_decay > 0) average_ = std::make_unique<WeightAverage>(*model_, c_.ema_decay);
    optimizer_ = std::make_unique<Adam>(model_->parameters(),
                                        AdamOptions{.lr = static_cast<float>(c_.lr),
                                                    .weight_decay = static_cast<float>(c_.weight_decay),
                                                    .max_grad_norm = static_cast<float>(c_.max_grad_norm)});
  }

  // The last checkpoint, or the one before it when the last is damaged.
  void resume_from_checkpoint() {
    HM_CHECK(fs::exists(last_path_), "--resume {}: there is no checkpoint {} to continue from", c_.out, last_path_);
    std::string from = last_path_;
    CheckpointProvenance provenance;
    try {
      provenance = load_checkpoint(last_path_, *model_, *optimizer_, state_, averaged());
    } catch (const Error& e) {
      // A damaged latest checkpoint (interrupted disk, bad copy): the one before it.
      from = previous_checkpoint_path(last_path_);
      if (!fs::exists(from)) throw;
      state_ = TrainerState{};
      provenance = load_checkpoint(from, *model_, *optimizer_, state_, averaged());
      // Set the damaged one aside (kept for inspection), so it never becomes the next "previous".
      const std::string damaged = (run_ / "last.damaged.safetensors").string();
      fs::rename(last_path_, damaged);
      fmt::print(log_,
                 "cannot resume from {}: {}\nfalling back to the previous checkpoint {} (the damaged one is now {})\n",
                 last_path_, e.what(), from, damaged);
    }
    check_provenance(provenance, from);
    if (average_) average_->set_updates(state_.average_updates);
    fmt::print(log_, "resuming {} at epoch {}, step {}{}\n", from, state_.epoch + 1, state_.step,
               budgeted() ? fmt::format(", {} of the {} budget spent", format_duration(state_.seconds_spent),
                                        format_duration(c_.time_budget))
                          : "");
  }

  // The checkpoint's data, split and config against this session's: a
  // difference refuses the resume (naming every one) unless accepted.
  void check_provenance(const CheckpointProvenance& p, const std::string& from) {
    std::vector<std::string> differences;
    if (p.config)
      for (const std::string& d : config_differences(*p.config, c_)) differences.push_back("config: " + d);
    if (p.record) {
      const std::vector<std::string> run = run_differences(*p.record, record_);
      differences.insert(differences.end(), run.begin(), run.end());
    }
    if (!p.config || !p.record)
      fmt::print(log_, "note: {} records no {}; it cannot be checked against this session\n", from,
                 !p.record ? "data and split" : "config");
    if (differences.empty()) return;
    std::string all;
    for (const std::string& d : differences) all += (all.empty() ? "" : "; ") + d;
    HM_CHECK(start_.accept_mismatch, "--resume {}: {} differs from this session: {}. Resume with the run's own data and "
             "config, or give --accept-mismatch to continue anyway",
             c_.out, from, all);
    fmt::print(log_, "warning: resuming despite differences from {} (--accept-mismatch): {}\n", from, all);
  }

  // Where a failed step leaves the run.
  std::string last_good() const {
    return fs::exists(last_path_) ? fmt::format("The last good checkpoint is {}", last_path_)
                                  : std::string("No checkpoint was written yet");
  }

  bool budgeted() const { return c_.time_budget > 0; }
  // Stage 2 alone, on a stage-1 model (--refine-from, or the second half of --refine).
  bool refining() const { return !c_.refine_from.empty(); }
  // The budget of this stage: with --refine, stage 1 leaves refine_share of it to stage 2.
  double budget() const { return c_.refine ? c_.time_budget * (1 - c_.refine_share) : c_.time_budget; }
  HRNet* averaged() { return average_ ? &average_->model() : nullptr; }
  // The model that validation scores and best.safetensors keeps.
  HRNet& scored_model() { return average_ ? average_->model() : *model_; }

  // Adds the time since the last reading to the run's spent seconds.
  double mark_time() {
    const double now = clock_();
    const double elapsed = now - clock_mark_;
    state_.seconds_spent += elapsed;
    clock_mark_ = now;
    return elapsed;
  }

  // A step costs what the run's steps have cost on average so far
  // (validation and checkpoints included, spread over them).
  double step_estimate() const {
    return state_.step > 0 ? state_.seconds_spent / static_cast<double>(state_.step) : 0.0;
  }

  // The budget cannot fit another step and the final validation.
  bool budget_spent() const {
    return budgeted() && state_.seconds_spent + step_estimate() + state_.validation_seconds > budget();
  }

  // With a budget: the share of it that will be spent when this step ends,
  // measured against what is left once the final validation is set aside.
  double lr_for_step() const {
    if (!budgeted()) return schedule_.at(state_.step);
    const double usable = std::max(budget() - state_.validation_seconds, 1e-9);
    return schedule_.at_progress(state_.step, (state_.seconds_spent + step_estimate()) / usable);
  }

  // The image cache, the batch maker, the LR schedule and the constant
  // predictor's score (the yardstick printed at the end).
  void prepare_batches() {
    // Whole images for stage 1: the model trained here, or the one refined.
    const InputSpec input = (refining() ? *stage1_ : *model_).config().input_spec();
    std::vector<size_t> all = split_.train;
    all.insert(all.end(), split_.validation.begin(), split_.validation.end());
    cache_ = std::make_unique<ImageCache>(data_, all, input);
    maker_ = std::make_unique<BatchMaker>(data_, *cache_, input, c_.augment, c_.seed);
    source_ = maker_.get();
    if (refining()) prepare_patches(all);

    const int64_t n_train = static_cast<int64_t>(split_.train.size());
    batches_per_epoch_ = (n_train + c_.batch - 1) / c_.batch;
    schedule_ = LrSchedule{c_.schedule, c_.lr, static_cast<int64_t>(c_.warmup_epochs * batches_per_epoch_),
                           c_.epochs * batches_per_epoch_, c_.step_epochs * batches_per_epoch_, c_.step_gamma};

    auto sizes = [&](const std::vector<size_t>& indices) {
      ImageSizes out;
      for (size_t i : indices) out.emplace_back(cache_->at(i).original_width, cache_->at(i).original_height);
      return out;
    };
    summary_.run_folder = c_.out;
    if (!split_.validation.empty())
      summary_.constant = compute_metrics(constant_predictions(samples_of(data_, split_.train), sizes(split_.train),
                                                               split_.validation.size(), sizes(split_.validation)),
                                          samples_of(data_, split_.validation));
  }

  // Stage 2's batches: stage 1's estimates on the validation images (what
  // validation refines, and whose errors the patch offsets imitate), the
  // patch scale, and the refiner's image caches.
  void prepare_patches(const std::vector<size_t>& all) {
    const std::vector<size_t>& judged = split_.validation.empty() ? split_.train : split_.validation;
    stage1_estimates_ = validate(*stage1_, *maker_, data_, judged, device_, c_).predictions;
    stage1_->eval();  // validate() leaves a model in training mode
    const InputSpec input = stage1_->config().input_spec();
    const CachedImage& first = cache_->at(split_.train.front());
    const double w = static_cast<double>(first.original_width), h = static_cast<double>(first.original_height);
    const double W = static_cast<double>(input.size.width), H = static_cast<double>(input.size.height);
    const Affine first_map = input.stretch ? stretch(w, h, W, H) : letterbox(w, h, W, H);
    // 0: one patch pixel per original pixel of the first training image.
    refine_scale_ = c_.refine_scale > 0 ? c_.refine_scale : 1.0 / first_map.a;
    refine_images_ = cache_refine_images(data_, all, input, refine_scale_);

    // Offsets like stage 1's errors: per landmark, the RMS error per axis in stage-1 input pixels.
    const size_t K = data_.landmark_names.size();
    PatchOptions o;
    o.size = c_.refine_size;
    o.scale = refine_scale_;
    o.mean = model_->config().input_mean[0];
    o.std = model_->config().input_std[0];
    o.offset_std.assign(K, 0.0);
    for (size_t i = 0; i < judged.size(); ++i) {
      const Affine& to_input = refine_images_.to_input[refine_images_.slot[judged[i]]];
      for (size_t k = 0; k < K; ++k) {
        const Point p = to_input.apply(stage1_estimates_[i][k]), t = to_input.apply(data_.samples[judged[i]].landmarks[k]);
        o.offset_std[k] += ((p.x - t.x) * (p.x - t.x) + (p.y - t.y) * (p.y - t.y)) / 2;
      }
    }
    for (double& sd : o.offset_std) sd = std::max(0.5, std::sqrt(sd / static_cast<double>(judged.size())));
    patches_ = std::make_unique<PatchMaker>(data_, refine_images_, o, c_.augment, c_.seed);
    source_ = patches_.get();
    const Metrics stage1 = compute_metrics(stage1_estimates_, samples_of(data_, judged));
    summary_.stage1 = stage1;
    fmt::print(log_,
               "refiner: stage 1 from {} ({} on the {} images), patches of {} px at {:.3g}x its input resolution, "
               "offsets of {:.2f} input px RMS per axis on average\n",
               c_.refine_from, metrics_line(stage1), split_.validation.empty() ? "training" : "validation",
               c_.refine_size, refine_scale_,
               std::accumulate(o.offset_std.begin(), o.offset_std.end(), 0.0) / static_cast<double>(K));
  }

  // Validation of the model being trained: stage 1 alone, or stage 1's
  // estimates refined by it.
  Validation validate_now(HRNet& model) {
    if (!refining()) return validate(model, *maker_, data_, split_.validation, device_, c_);
    return validate_refined(model, refine_scale_, refine_images_, stage1_estimates_, data_, split_.validation,
                            device_);
  }

  void save_best(HRNet& model, int64_t epoch) {
    const std::map<std::string, std::string> extra{{"heatmark.epoch", std::to_string(epoch + 1)}};
    if (refining())
      save_model(*stage1_, best_path_, extra, RefinerModel{&model, refine_scale_});
    else
      save_model(model, best_path_, extra);
  }

  // SIGINT/SIGTERM (train/interrupt.h): checked after every step and before each epoch.
  bool stopped_by_signal() {
    const int signal = stop_signal();
    if (signal == 0) return false;
    summary_.stopped_by_signal = signal;
    summary_.stop_reason = fmt::format("stopped by {} after step {} (epoch {}, batch {}/{}); {} holds the run: "
                                       "continue with heatmark train --resume {}",
                                       signal == SIGINT ? "SIGINT" : "SIGTERM", state_.step, state_.epoch + 1,
                                       state_.batch, batches_per_epoch_, last_path_, c_.out);
    return true;
  }

  // The steps of one epoch, from state_.batch on; false when it stopped early.
  bool train_epoch() {
    epoch_start_ = Clock::now();
    images_now_ = 0;
    std::vector<size_t> order;
    for (size_t i : epoch_order(split_.train.size(), c_.seed, static_cast<uint64_t>(state_.epoch)))
      order.push_back(split_.train[i]);
    // The refiner's patches always draw their offsets from the truth (without
    // them it would learn that a landmark sits at the centre); --augment off
    // leaves them unturned and unchanged in intensity.
    const bool augment = c_.augment.enabled || refining();
    Loader loader(*source_, order, c_.batch, state_.batch, static_cast<uint64_t>(state_.epoch), augment);
    while (true) {
      // Checked before a step, so a resume at the limit trains none.
      if (c_.max_steps > 0 && state_.step >= c_.max_steps) {
        stop_ = true;
        summary_.stop_reason = fmt::format("reached --max-steps {}", c_.max_steps);
        break;
      }
      if (budget_spent()) {
        out_of_time_ = stop_ = true;
        summary_.stop_reason = fmt::format("the time budget of {} is spent ({} used)", format_duration(budget()),
                                           format_duration(state_.seconds_spent));
        break;
      }
      std::optional<Batch> batch = loader.next();
      if (!batch) break;
      train_step(*batch);
      if (stopped_by_signal()) {
        stop_ = true;
        break;
      }
    }
    return state_.batch >= batches_per_epoch_;
  }

  // Forward, loss, backward and the optimizer on one batch, then the running
  // sums and the progress line. A non-finite loss or gradient stops the run
  // before the weights change; running out of device memory names the fix.
  void train_step(const Batch& batch) {
    const double lr = lr_for_step();
    optimizer_->set_lr(static_cast<float>(lr));
    StepOutput r;
    double loss = 0;
    try {
      check_batch_finite(batch, data_, state_.step + 1, state_.epoch + 1);
      r = run_batch(*model_, batch, device_, c_);
      loss = r.loss.total.item();
      HM_CHECK(std::isfinite(loss), "step {} (epoch {}): the loss is {} (heatmap {}, coordinate {}); stopping. {}",
               state_.step + 1, state_.epoch + 1, loss, r.loss.heatmap.item(), r.loss.coordinate.item(), last_good());
      r.loss.total.backward();
      try {
        optimizer_->step();
      } catch (const OutOfMemory&) {
        throw;
      } catch (const Error& e) {
        fail("step {} (epoch {}): {}; stopping. {}", state_.step + 1, state_.epoch + 1, e.what(), last_good());
      }
    } catch (const OutOfMemory& e) {
      fail("step {} (epoch {}): {}. A batch of {} at {}x{} does not fit on {}: lower --batch or --input-size, or "
           "choose a smaller --model. {}",
           state_.step + 1, state_.epoch + 1, e.what(), batch.samples.size(), model_->config().input_size.width,
           model_->config().input_size.height, device_.str(), last_good());
    }
    optimizer_->zero_grad();
    if (average_) {
      average_->update(*model_);
      state_.average_updates = average_->updates();
    }
    state_.last_lr = lr;
    const double n = static_cast<double>(batch.samples.size());
    state_.epoch_loss += loss * n;
    state_.epoch_heatmap += r.loss.heatmap.item() * n;
    state_.epoch_coordinate += r.loss.coordinate.item() * n;
    state_.epoch_images += static_cast<int64_t>(batch.samples.size());
    images_now_ += static_cast<int64_t>(batch.samples.size());
    ++state_.step;
    ++state_.batch;
    mark_time();
    double left = 0;  // seconds
    if (budgeted()) {
      left = std::max(0.0, budget() - state_.seconds_spent);
    } else {
      const double per_step = seconds_since(run_start_) / static_cast<double>(state_.step - start_step_);
      left = per_step * static_cast<double>(c_.epochs * batches_per_epoch_ - state_.step);
    }
    progress_->step(state_.epoch, state_.batch - 1, batches_per_epoch_, loss, lr,
                    static_cast<double>(images_now_) / seconds_since(epoch_start_), left);
  }

  // Validation, the epoch's record, the best model when it improved, the
  // checkpoint, metrics.csv and curves.svg, and early stopping.
  void end_epoch() {
    EpochRecord record;
    record.epoch = state_.epoch;
    record.step = state_.step;
    record.lr = state_.last_lr;
    const double seen = static_cast<double>(std::max<int64_t>(state_.epoch_images, 1));
    record.train_loss = state_.epoch_loss / seen;
    record.train_heatmap = state_.epoch_heatmap / seen;
    record.train_coordinate = state_.epoch_coordinate / seen;
    Validation v;
    mark_time();  // the steps' time is theirs; what follows is validation's
    if (!split_.validation.empty()) {
      v = validate_now(scored_model());
      record.val_loss = v.loss;
      record.val_mre_px = v.metrics.mre_px;
      record.val_mre_mm = v.metrics.mre_mm;
      for (int i = 0; i < 4; ++i) record.sdr[i] = v.metrics.sdr[i];
    }
    record.seconds = seconds_since(epoch_start_);
    record.images_per_second = static_cast<double>(images_now_) / record.seconds;
    state_.history.push_back(record);
    ++state_.epoch;
    state_.batch = 0;
    state_.epoch_loss = state_.epoch_heatmap = state_.epoch_coordinate = 0;
    state_.epoch_images = 0;

    const double score = split_.validation.empty() ? record.train_loss : v.metrics.score();
    const bool improved = state_.best_score < 0 || score < state_.best_score;
    if (improved) {
      state_.best_score = score;
      state_.best_epoch = record.epoch;
      state_.epochs_since_best = 0;
      save_best(scored_model(), record.epoch);
      if (!split_.validation.empty())
        write_predictions_csv((run_ / "val_predictions.csv").string(), data_, split_.validation, v.predictions);
    } else {
      ++state_.epochs_since_best;
    }
    state_.validation_seconds = mark_time();
    save_checkpoint(last_path_, *model_, *optimizer_, state_, c_, record_, averaged());
    write_metrics_csv((run_ / "metrics.csv").string(), state_.history);
    write_curves_svg((run_ / "curves.svg").string(), state_.history, v.metrics.has_mm());
    progress_->line(fmt::format(
        "epoch {}{}: loss {:.5f} (heatmap {:.5f}, coordinate {:.5f}){}{}  [{:.1f} s, {:.1f} img/s]{}", record.epoch + 1,
        budgeted() ? "" : fmt::format("/{}", c_.epochs), record.train_loss, record.train_heatmap, record.train_coordinate,
        split_.validation.empty() ? "" : fmt::format(", validation {}", metrics_line(v.metrics)), improved ? " *" : "",
        record.seconds, record.images_per_second,
        budgeted() ? fmt::format("  {} left", format_duration(std::max(0.0, budget() - state_.seconds_spent)))
                   : ""));
    if (!budgeted() && c_.patience > 0 && state_.epochs_since_best >= c_.patience) {
      summary_.stop_reason = fmt::format("early stopping: no better validation MRE for {} epochs", c_.patience);
      stop_ = true;
    }
  }

  // Why it stopped, and the best model on the validation set.
  TrainSummary finish() {
    if (summary_.stopped_by_signal && !fs::exists(last_path_))
      save_checkpoint(last_path_, *model_, *optimizer_, state_, c_, record_, averaged());
    if (summary_.stop_reason.empty())
      summary_.stop_reason = state_.epoch >= c_.epochs ? fmt::format("completed {} epochs", c_.epochs) : "stopped";
    summary_.epochs_run = state_.epoch;
    summary_.steps = state_.step;
    summary_.seconds_spent = state_.seconds_spent;
    summary_.last_lr = state_.last_lr;
    summary_.best_epoch = state_.best_epoch;
    if (!split_.validation.empty() && fs::exists(best_path_) && !summary_.stopped_by_signal) {
      double scale = 0;
      std::unique_ptr<HRNet> best = refining() ? load_refiner(best_path_, scale) : load_model(best_path_);
      best->to(device_);
      best->eval();
      summary_.best = validate_now(*best).metrics;
    }
    return summary_;
  }

  const TrainConfig& c_;
  const TrainStart start_;
  std::FILE* log_;
  const fs::path run_;
  const std::string last_path_, best_path_;
  Device device_;
  Dataset data_;
  Split split_;
  RunRecord record_;
  std::unique_ptr<HRNet> model_;
  std::unique_ptr<Adam> optimizer_;
  TrainerState state_;
  std::unique_ptr<ImageCache> cache_;
  std::unique_ptr<BatchMaker> maker_;
  const BatchSource* source_ = nullptr;  // maker_, or patches_ when refining
  // Refining: the stage-1 model, its estimates on the validation images, the patches.
  std::unique_ptr<HRNet> stage1_;
  std::vector<std::vector<Point>> stage1_estimates_;
  double refine_scale_ = 0;
  RefineImages refine_images_;
  std::unique_ptr<PatchMaker> patches_;
  int64_t batches_per_epoch_ = 0;
  LrSchedule schedule_{};
  std::unique_ptr<WeightAverage> average_;
  TrainSummary summary_;
  Progress* progress_ = nullptr;
  bool stop_ = false, out_of_time_ = false;
  TrainingClock clock_;
  double clock_mark_;  // the clock's last reading
  Clock::time_point run_start_, epoch_start_;
  int64_t start_step_ = 0, images_now_ = 0;  // images_now_: in this process and epoch, for the speed
};

}  // namespace

TrainingClock steady_training_clock() {
  return [] { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); };
}

TrainSummary train(const TrainConfig& c, const TrainStart& start, std::FILE* log, TrainingClock clock) {
  HM_CHECK(!(start.resume && start.force), "--force starts a new run; it cannot be combined with --resume");
  c.validate();  // before anything is created
  for (const auto& [path, flag] : {std::pair{&c.pretrained, "--pretrained"}, std::pair{&c.refine_from, "--refine-from"}})
    HM_CHECK(path->empty() || fs::is_regular_file(*path), "{} {}: no such model file", flag, *path);
  // A fresh run needs an empty folder (or --force), and never one that holds
  // the dataset. Checked before the lock creates anything there, and again under it.
  const std::vector<NamedInput> data_folders{{c.data, "the dataset (--data)"}};
  const auto check_folder = [&] {
    if (!start.resume) check_output_folder(c.out, "--out", start.force, data_folders, {kRunLockFile});
  };
  // A folder that has been a run folder says first whether a trainer holds it.
  std::optional<RunFolderLock> lock;
  if (fs::exists(fs::path(c.out) / kRunLockFile)) lock.emplace(c.out);
  check_folder();
  const bool created = !fs::exists(c.out);
  if (!lock) lock.emplace(c.out);
  check_folder();
  TrainSummary first;
  try {
    first = TrainingRun(c, start, log, clock).run();
  } catch (...) {
    // A fresh run that failed before its first checkpoint (bad data, a bad
    // pretrained file, a NaN at step 1) takes back what it wrote: the folder
    // stays as it found it, and the same --out can be used again.
    lock.reset();
    if (!start.resume) {
      std::error_code error;
      const std::vector<std::string> ours{kRunLockFile, "config.json"};
      bool only_ours = true;
      for (const auto& e : fs::directory_iterator(c.out, error))
        only_ours = only_ours && std::find(ours.begin(), ours.end(), e.path().filename().string()) != ours.end();
      if (!error && only_ours) {
        for (const std::string& name : ours) fs::remove(fs::path(c.out) / name, error);
        if (created) fs::remove(c.out, error);
      }
    }
    throw;
  }
  if (!c.refine || first.stopped_by_signal || first.best_epoch < 0) return first;

  // Stage 2 in the same run: its own run folder (refine/) on stage 1's best
  // model, with what is left of the budget; its best model holds both stages
  // and becomes the run's best.safetensors.
  TrainConfig second = c;
  second.refine = false;
  second.refine_from = (fs::path(c.out) / "best.safetensors").string();
  second.out = (fs::path(c.out) / "refine").string();
  second.epochs = c.refine_epochs;
  if (c.time_budget > 0) second.time_budget = std::max(1.0, c.time_budget - first.seconds_spent);
  TrainStart start_second = start;
  start_second.resume = start.resume && fs::exists(fs::path(second.out) / "last.safetensors");
  fmt::print(log, "\n{}; stage 2 (the patch refiner) in {}{}\n", first.stop_reason, second.out,
             second.time_budget > 0 ? fmt::format(" for the remaining {}", format_duration(second.time_budget)) : "");
  TrainSummary refined = TrainingRun(second, start_second, log, clock).run();
  if (!refined.stopped_by_signal && refined.best_epoch >= 0)
    write_file_atomically(second.refine_from, read_file((fs::path(second.out) / "best.safetensors").string()));
  refined.stage1 = first.best;
  refined.stage1_stop_reason = first.stop_reason;
  refined.seconds_spent += first.seconds_spent;
  refined.run_folder = c.out;
  return refined;
}

}  // namespace heatmark
