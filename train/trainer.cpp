#include "train/trainer.h"

#include <chrono>
#include <csignal>
#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "cuda/info.h"
#include "hrnet/model_file.h"
#include "hrnet/timm_import.h"
#include "tensor/atomic_file.h"
#include "tensor/error.h"
#include "tensor/kernels.h"
#include "tensor/parallel.h"
#include "train/checkpoint.h"
#include "train/interrupt.h"
#include "train/loader.h"
#include "train/report.h"
#include "train/schedule.h"
#include "train/split.h"
#include "train/step.h"

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

HRNetConfig model_config(const TrainConfig& c, const Dataset& d) {
  HRNetConfig m = hrnet_preset(c.model);
  m.head = parse_head(c.head);
  m.num_landmarks = static_cast<int64_t>(d.landmark_names.size());
  m.landmark_names = d.landmark_names;
  m.input_size = c.input_size;
  m.stretch = c.stretch;
  m.soft_argmax_beta = static_cast<float>(c.beta);
  m.target_sigma = static_cast<float>(c.sigma);
  return m;
}

// Starts from pretrained weights: timm's ImageNet HRNet (RGB input, the
// backbone only) or a heatmark model file of the same architecture.
std::unique_ptr<HRNet> make_model(const TrainConfig& c, HRNetConfig config, std::FILE* log) {
  if (c.pretrained.empty()) return std::make_unique<HRNet>(config, c.seed);
  const SafetensorsFile file = SafetensorsFile::read(c.pretrained);
  const auto format = file.metadata().find("format");
  if (format != file.metadata().end() && (format->second == kModelFormat || format->second == kCheckpointFormat)) {
    std::unique_ptr<HRNet> source = load_model(c.pretrained);
    config.in_channels = source->config().in_channels;  // the input the weights were trained for
    config.input_mean = source->config().input_mean;
    config.input_std = source->config().input_std;
    auto model = std::make_unique<HRNet>(config, c.seed);
    int copied = 0;
    std::map<std::string, Tensor> from;
    for (auto& [name, t] : state_tensors(*source)) from[name] = t;
    for (auto& [name, t] : state_tensors(*model)) {
      auto it = from.find(name);
      if (it != from.end() && it->second.shape() == t.shape()) {
        t.copy_from(it->second);
        ++copied;
      } else {
        HM_CHECK(name.starts_with("head."), "--pretrained {}: tensor '{}' does not fit this model ({})", c.pretrained,
                 name, it == from.end() ? "missing" : it->second.shape().str());
      }
    }
    fmt::print(log, "pretrained: {} tensors from {}\n", copied, c.pretrained);
    return model;
  }
  config.use_imagenet_input();
  auto model = std::make_unique<HRNet>(config, c.seed);
  const ImportReport report = import_timm(*model, c.pretrained);
  HM_CHECK(report.complete(), "--pretrained {} does not fit {}: {}", c.pretrained, c.model, report.summary());
  fmt::print(log, "pretrained (ImageNet, timm): {}\n", report.summary());
  return model;
}

std::vector<const Sample*> samples_of(const Dataset& d, const std::vector<size_t>& indices) {
  std::vector<const Sample*> out;
  for (size_t i : indices) out.push_back(&d.samples[i]);
  return out;
}

// Forward and loss of one batch on `device` (records the graph in grad mode).
StepOutput run_batch(HRNet& model, const Batch& batch, Device device, const TrainConfig& c) {
  return forward_and_loss(model, batch.images.to(device), batch.coords.to(device),
                          LossSettings{c.input_size, c.sigma, c.beta, c.heatmap_weight, c.coordinate_weight});
}

struct Validation {
  Metrics metrics;
  double loss = 0;
  std::vector<std::vector<Point>> predictions;  // original-image pixels
};

Validation validate(HRNet& model, const BatchMaker& maker, const Dataset& d, const std::vector<size_t>& indices,
                    Device device, const TrainConfig& c) {
  Validation v;
  NoGrad no_grad;
  model.eval();
  double loss_sum = 0;
  for (size_t first = 0; first < indices.size(); first += c.batch) {
    const std::vector<size_t> part(indices.begin() + first,
                                   indices.begin() + std::min(indices.size(), first + static_cast<size_t>(c.batch)));
    const Batch batch = maker.make(part, 0, false);
    const StepOutput r = run_batch(model, batch, device, c);
    loss_sum += r.loss.total.item() * static_cast<double>(part.size());
    const std::vector<float> coords = r.coords.to_vector();
    const size_t K = d.landmark_names.size();
    for (size_t b = 0; b < part.size(); ++b) {
      const Affine back = batch.to_input[b].inverse();
      std::vector<Point> points;
      for (size_t k = 0; k < K; ++k)
        points.push_back(back.apply({coords[(b * K + k) * 2] * static_cast<double>(c.input_size),
                                     coords[(b * K + k) * 2 + 1] * static_cast<double>(c.input_size)}));
      v.predictions.push_back(points);
    }
  }
  model.train();
  v.loss = loss_sum / static_cast<double>(std::max<size_t>(indices.size(), 1));
  v.metrics = compute_metrics(v.predictions, samples_of(d, indices));
  return v;
}

void write_predictions_csv(const std::string& path, const Dataset& d, const std::vector<size_t>& indices,
                           const std::vector<std::vector<Point>>& predictions) {
  std::string csv = "image";
  for (size_t k = 0; k < d.landmark_names.size(); ++k) csv += fmt::format(",x{},y{}", k + 1, k + 1);
  csv += "\n";
  for (size_t i = 0; i < indices.size(); ++i) {
    csv += fs::relative(d.samples[indices[i]].image, d.root).string();
    for (const Point& p : predictions[i]) csv += fmt::format(",{:.3f},{:.3f}", p.x, p.y);
    csv += "\n";
  }
  write_file_atomically(path, csv);
}

}  // namespace

TrainSummary train(const TrainConfig& c, bool resume, std::FILE* log) {
  const fs::path run(c.out);
  c.validate();
  if (c.threads > 0) set_num_threads(c.threads);
  const Device device = cuda::usable_device(Device::parse(c.device));
  kernels::select_kernel_provider(c.kernels, device);

  // ---- data -----------------------------------------------------------------------
  const Dataset data = load_training_data(c);
  const Split split = split_of(c, data);
  fmt::print(log, "data: {} ({} format), {} images ({} train, {} validation), {} landmarks\n", c.data, data.format,
             data.samples.size(), split.train.size(), split.validation.size(), data.landmark_names.size());

  // ---- model and optimizer ------------------------------------------------------------
  std::error_code created;
  fs::create_directories(run, created);
  HM_CHECK(!created, "cannot create the run folder {}: {}", c.out, created.message());
  std::unique_ptr<HRNet> model = make_model(c, model_config(c, data), log);
  model->to(device);
  model->train();
  Adam optimizer(model->parameters(), AdamOptions{.lr = static_cast<float>(c.lr),
                                                  .weight_decay = static_cast<float>(c.weight_decay),
                                                  .max_grad_norm = static_cast<float>(c.max_grad_norm)});
  TrainerState state;
  const std::string last_path = (run / "last.safetensors").string(), best_path = (run / "best.safetensors").string();
  if (resume) {
    HM_CHECK(fs::exists(last_path), "--resume {}: there is no checkpoint {} to continue from", c.out, last_path);
    std::string from = last_path;
    try {
      load_checkpoint(last_path, *model, optimizer, state);
    } catch (const Error& e) {
      // A damaged latest checkpoint (interrupted disk, bad copy): the one before it.
      from = previous_checkpoint_path(last_path);
      if (!fs::exists(from)) throw;
      state = TrainerState{};
      load_checkpoint(from, *model, optimizer, state);
      // Set the damaged one aside (kept for inspection), so it never becomes the next "previous".
      const std::string damaged = (run / "last.damaged.safetensors").string();
      fs::rename(last_path, damaged);
      fmt::print(log, "cannot resume from {}: {}\nfalling back to the previous checkpoint {} (the damaged one is now {})\n",
                 last_path, e.what(), from, damaged);
    }
    fmt::print(log, "resuming {} at epoch {}, step {}\n", from, state.epoch + 1, state.step);
  } else {
    HM_CHECK(!fs::exists(last_path), "{} already holds a run; use --resume {} to continue it, or another --out",
             c.out, c.out);
  }
  write_file_atomically((run / "config.json").string(), to_json(c).dump(2) + "\n");
  fmt::print(log, "model: {} ({} head, {} parameters), input {}x{}, device {}, run folder {}\n", c.model, c.head,
             model->parameter_count(), c.input_size, c.input_size, device.str(), c.out);

  const HRNetConfig& mc = model->config();
  const InputSpec input{c.input_size, mc.in_channels, mc.input_mean, mc.input_std, c.stretch};
  std::vector<size_t> all = split.train;
  all.insert(all.end(), split.validation.begin(), split.validation.end());
  const ImageCache cache(data, all, input);
  const BatchMaker maker(data, cache, input, c.augment, c.seed);

  const int64_t n_train = static_cast<int64_t>(split.train.size());
  const int64_t batches_per_epoch = (n_train + c.batch - 1) / c.batch;
  const LrSchedule schedule{c.schedule, c.lr, static_cast<int64_t>(c.warmup_epochs * batches_per_epoch),
                            c.epochs * batches_per_epoch, c.step_epochs * batches_per_epoch, c.step_gamma};

  // The constant predictor, for comparison.
  auto sizes = [&](const std::vector<size_t>& indices) {
    ImageSizes out;
    for (size_t i : indices) out.emplace_back(cache.at(i).original_width, cache.at(i).original_height);
    return out;
  };
  TrainSummary summary;
  summary.run_folder = c.out;
  if (!split.validation.empty())
    summary.constant = compute_metrics(constant_predictions(samples_of(data, split.train), sizes(split.train),
                                                            split.validation.size(), sizes(split.validation)),
                                       samples_of(data, split.validation));

  // ---- the epochs ------------------------------------------------------------------------
  Progress progress(log, c.epochs);
  bool stop = false;
  const Clock::time_point run_start = Clock::now();
  const int64_t start_step = state.step;
  // SIGINT/SIGTERM (train/interrupt.h): checked after every step and before each epoch.
  auto stopped_by_signal = [&] {
    const int signal = stop_signal();
    if (signal == 0) return false;
    summary.stopped_by_signal = signal;
    summary.stop_reason = fmt::format("stopped by {} after step {} (epoch {}, batch {}/{}); {} holds the run: continue "
                                      "with heatmark train --resume {}",
                                      signal == SIGINT ? "SIGINT" : "SIGTERM", state.step, state.epoch + 1,
                                      state.batch, batches_per_epoch, last_path, c.out);
    return true;
  };
  while (state.epoch < c.epochs && !stop && !stopped_by_signal()) {
    const Clock::time_point epoch_start = Clock::now();
    std::vector<size_t> order;
    for (size_t i : epoch_order(split.train.size(), c.seed, static_cast<uint64_t>(state.epoch)))
      order.push_back(split.train[i]);
    Loader loader(maker, order, c.batch, state.batch, static_cast<uint64_t>(state.epoch), c.augment.enabled);
    int64_t images_now = 0;  // in this process, for the speed
    while (std::optional<Batch> batch = loader.next()) {
      const double lr = schedule.at(state.step);
      optimizer.set_lr(static_cast<float>(lr));
      StepOutput r;
      double loss = 0;
      try {
        check_batch_finite(*batch, data, state.step + 1, state.epoch + 1);
        r = run_batch(*model, *batch, device, c);
        loss = r.loss.total.item();
        HM_CHECK(std::isfinite(loss), "step {} (epoch {}): the loss is {} (heatmap {}, coordinate {}); stopping. The "
                 "last good checkpoint is {}",
                 state.step + 1, state.epoch + 1, loss, r.loss.heatmap.item(), r.loss.coordinate.item(), last_path);
        r.loss.total.backward();
        try {
          optimizer.step();
        } catch (const OutOfMemory&) {
          throw;
        } catch (const Error& e) {
          fail("step {} (epoch {}): {}; stopping. The last good checkpoint is {}", state.step + 1, state.epoch + 1,
               e.what(), last_path);
        }
      } catch (const OutOfMemory& e) {
        fail("step {} (epoch {}): {}. A batch of {} at {}x{} does not fit on {}: lower --batch or --input-size, or "
             "choose a smaller --model. The last good checkpoint is {}",
             state.step + 1, state.epoch + 1, e.what(), batch->samples.size(), c.input_size, c.input_size,
             device.str(), last_path);
      }
      optimizer.zero_grad();
      const double n = static_cast<double>(batch->samples.size());
      state.epoch_loss += loss * n;
      state.epoch_heatmap += r.loss.heatmap.item() * n;
      state.epoch_coordinate += r.loss.coordinate.item() * n;
      state.epoch_images += static_cast<int64_t>(batch->samples.size());
      images_now += static_cast<int64_t>(batch->samples.size());
      ++state.step;
      ++state.batch;
      const double elapsed = seconds_since(run_start), per_step = elapsed / static_cast<double>(state.step - start_step);
      const int64_t remaining = c.epochs * batches_per_epoch - state.step;
      progress.step(state.epoch, state.batch - 1, batches_per_epoch, loss, lr,
                    static_cast<double>(images_now) / seconds_since(epoch_start),
                    per_step * static_cast<double>(remaining));
      if (c.max_steps > 0 && state.step >= c.max_steps) {
        stop = true;
        summary.stop_reason = fmt::format("reached --max-steps {}", c.max_steps);
        break;
      }
      if (stopped_by_signal()) {
        stop = true;
        break;
      }
    }
    const bool epoch_complete = state.batch >= batches_per_epoch;
    if (!epoch_complete) {  // stopped mid-epoch: keep the place for --resume
      save_checkpoint(last_path, *model, optimizer, state, c);
      break;
    }

    // ---- end of epoch: validation, records, checkpoints ------------------------------------
    EpochRecord record;
    record.epoch = state.epoch;
    record.step = state.step;
    record.lr = schedule.at(state.step - 1);
    const double seen = static_cast<double>(std::max<int64_t>(state.epoch_images, 1));
    record.train_loss = state.epoch_loss / seen;
    record.train_heatmap = state.epoch_heatmap / seen;
    record.train_coordinate = state.epoch_coordinate / seen;
    Validation v;
    if (!split.validation.empty()) {
      v = validate(*model, maker, data, split.validation, device, c);
      record.val_loss = v.loss;
      record.val_mre_px = v.metrics.mre_px;
      record.val_mre_mm = v.metrics.mre_mm;
      for (int i = 0; i < 4; ++i) record.sdr[i] = v.metrics.sdr[i];
    }
    record.seconds = seconds_since(epoch_start);
    record.images_per_second = static_cast<double>(images_now) / record.seconds;
    state.history.push_back(record);
    ++state.epoch;
    state.batch = 0;
    state.epoch_loss = state.epoch_heatmap = state.epoch_coordinate = 0;
    state.epoch_images = 0;

    const double score = split.validation.empty() ? record.train_loss : v.metrics.score();
    const bool improved = state.best_score < 0 || score < state.best_score;
    if (improved) {
      state.best_score = score;
      state.best_epoch = record.epoch;
      state.epochs_since_best = 0;
      save_model(*model, best_path, {{"heatmark.epoch", std::to_string(record.epoch + 1)}});
      if (!split.validation.empty()) write_predictions_csv((run / "val_predictions.csv").string(), data, split.validation, v.predictions);
    } else {
      ++state.epochs_since_best;
    }
    save_checkpoint(last_path, *model, optimizer, state, c);
    write_metrics_csv((run / "metrics.csv").string(), state.history);
    write_curves_svg((run / "curves.svg").string(), state.history, v.metrics.has_mm());
    progress.line(fmt::format("epoch {}/{}: loss {:.5f} (heatmap {:.5f}, coordinate {:.5f}){}{}  [{:.1f} s, {:.1f} img/s]",
                              record.epoch + 1, c.epochs, record.train_loss, record.train_heatmap,
                              record.train_coordinate,
                              split.validation.empty() ? "" : fmt::format(", validation {}", metrics_line(v.metrics)),
                              improved ? " *" : "", record.seconds, record.images_per_second));
    if (c.patience > 0 && state.epochs_since_best >= c.patience) {
      summary.stop_reason = fmt::format("early stopping: no better validation MRE for {} epochs", c.patience);
      stop = true;
    }
  }
  if (summary.stopped_by_signal && !fs::exists(last_path)) save_checkpoint(last_path, *model, optimizer, state, c);
  if (summary.stop_reason.empty())
    summary.stop_reason = state.epoch >= c.epochs ? fmt::format("completed {} epochs", c.epochs) : "stopped";

  // ---- the best model on the validation set ---------------------------------------------------
  summary.epochs_run = state.epoch;
  summary.steps = state.step;
  summary.best_epoch = state.best_epoch;
  if (!split.validation.empty() && fs::exists(best_path) && !summary.stopped_by_signal) {
    std::unique_ptr<HRNet> best = load_model(best_path);
    best->to(device);
    summary.best = validate(*best, maker, data, split.validation, device, c).metrics;
  }
  return summary;
}

}  // namespace heatmark
