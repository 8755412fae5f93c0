#include "train/checkpoint.h"

#include <filesystem>

#include "base/error.h"
#include "heatmark/version.h"
#include "hrnet/model_file.h"

namespace heatmark {

nlohmann::json to_json(const TrainerState& s) {
  nlohmann::json history = nlohmann::json::array();
  for (const EpochRecord& r : s.history)
    history.push_back({{"epoch", r.epoch},
                       {"step", r.step},
                       {"lr", r.lr},
                       {"train_loss", r.train_loss},
                       {"train_heatmap", r.train_heatmap},
                       {"train_coordinate", r.train_coordinate},
                       {"val_loss", r.val_loss},
                       {"val_mre_px", r.val_mre_px},
                       {"val_mre_mm", r.val_mre_mm},
                       {"sdr", {r.sdr[0], r.sdr[1], r.sdr[2], r.sdr[3]}},
                       {"seconds", r.seconds},
                       {"images_per_second", r.images_per_second}});
  return {{"epoch", s.epoch},         {"batch", s.batch},           {"step", s.step},
          {"seconds_spent", s.seconds_spent}, {"validation_seconds", s.validation_seconds},
          {"average_updates", s.average_updates}, {"last_lr", s.last_lr},
          {"best_score", s.best_score}, {"best_epoch", s.best_epoch}, {"epochs_since_best", s.epochs_since_best},
          {"epoch_loss", s.epoch_loss}, {"epoch_heatmap", s.epoch_heatmap}, {"epoch_coordinate", s.epoch_coordinate},
          {"epoch_images", s.epoch_images}, {"history", history}};
}

TrainerState trainer_state_from_json(const nlohmann::json& j, const std::string& source) {
  TrainerState s;
  try {
    s.epoch = j.at("epoch").get<int64_t>();
    s.batch = j.at("batch").get<int64_t>();
    s.step = j.at("step").get<int64_t>();
    // Checkpoints from before time budgets and weight averages have neither.
    s.seconds_spent = j.value("seconds_spent", 0.0);
    s.validation_seconds = j.value("validation_seconds", 0.0);
    s.average_updates = j.value("average_updates", int64_t{0});
    s.last_lr = j.value("last_lr", 0.0);
    s.best_score = j.at("best_score").get<double>();
    s.best_epoch = j.at("best_epoch").get<int64_t>();
    s.epochs_since_best = j.at("epochs_since_best").get<int64_t>();
    s.epoch_loss = j.at("epoch_loss").get<double>();
    s.epoch_heatmap = j.at("epoch_heatmap").get<double>();
    s.epoch_coordinate = j.at("epoch_coordinate").get<double>();
    s.epoch_images = j.at("epoch_images").get<int64_t>();
    for (const auto& r : j.at("history")) {
      EpochRecord e;
      e.epoch = r.at("epoch").get<int64_t>();
      e.step = r.at("step").get<int64_t>();
      e.lr = r.at("lr").get<double>();
      e.train_loss = r.at("train_loss").get<double>();
      e.train_heatmap = r.at("train_heatmap").get<double>();
      e.train_coordinate = r.at("train_coordinate").get<double>();
      e.val_loss = r.at("val_loss").get<double>();
      e.val_mre_px = r.at("val_mre_px").get<double>();
      e.val_mre_mm = r.at("val_mre_mm").get<double>();
      for (int i = 0; i < 4; ++i) e.sdr[i] = r.at("sdr").at(i).get<double>();
      e.seconds = r.at("seconds").get<double>();
      e.images_per_second = r.at("images_per_second").get<double>();
      s.history.push_back(e);
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: the trainer state is incomplete ({})", source, e.what());
  }
  return s;
}

std::string previous_checkpoint_path(const std::string& path) {
  const std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + ".previous" + p.extension().string())).string();
}

namespace {
// Keeps the checkpoint at `path` as its previous one: a hard link, so nothing
// is copied, and the old data survives the replacement of `path`.
void keep_previous(const std::string& path) {
  if (!std::filesystem::exists(path)) return;
  const std::string previous = previous_checkpoint_path(path);
  const std::string temp = previous + ".link";
  std::error_code ignored;
  std::filesystem::remove(temp, ignored);
  std::error_code error;
  std::filesystem::create_hard_link(path, temp, error);
  if (error) {  // a file system without hard links: copy
    error.clear();
    std::filesystem::copy_file(path, temp, std::filesystem::copy_options::overwrite_existing, error);
  }
  if (!error) std::filesystem::rename(temp, previous, error);
  HM_CHECK(!error, "cannot keep {} as {}: {}", path, previous, error.message());
}
}  // namespace

bool is_training_state_tensor(const std::string& name) {
  return name.starts_with("optimizer.") || name.starts_with("average.");
}

void save_checkpoint(const std::string& path, HRNet& model, Optimizer& optimizer, const TrainerState& state,
                     const TrainConfig& config, const RunRecord& record, HRNet* average) {
  std::vector<std::pair<std::string, Tensor>> tensors = state_tensors(model);
  for (auto& [name, t] : optimizer.state()) tensors.emplace_back("optimizer." + name, *t);
  if (average)
    for (auto& [name, t] : state_tensors(*average)) tensors.emplace_back("average." + name, t);
  const std::map<std::string, std::string> metadata{
      {"format", kCheckpointFormat},
      {"heatmark.version", HEATMARK_VERSION},
      {"heatmark.config", to_json(model.config()).dump()},
      {"heatmark.train_config", to_json(config).dump()},
      {"heatmark.train_state", to_json(state).dump()},
      {"heatmark.run_record", to_json(record).dump()},
      {"heatmark.optimizer_steps", std::to_string(optimizer.steps())}};
  // The current checkpoint becomes the previous one only once the new one is
  // safely on disk: a failed write changes neither.
  write_safetensors(path, tensors, metadata, [&] { keep_previous(path); });
}

CheckpointProvenance load_checkpoint(const std::string& path, HRNet& model, Optimizer& optimizer, TrainerState& state,
                                     HRNet* average) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  HM_CHECK(file.metadata().count("format") && file.metadata().at("format") == kCheckpointFormat,
           "{}: not a training checkpoint (metadata 'format' is not '{}')", path, kCheckpointFormat);
  load_state(model, file, is_training_state_tensor);
  if (average)
    for (auto& [name, t] : state_tensors(*average)) {
      const std::string key = "average." + name;
      HM_CHECK(file.contains(key), "{}: weight average tensor '{}' is missing (the run was made without --ema?)",
               path, key);
      HM_CHECK(file.entry(key).shape == t.shape(), "{}: weight average tensor '{}' has shape {}, expected {}", path,
               key, file.entry(key).shape.str(), t.shape().str());
      t.copy_from(file.tensor(key));
    }
  for (auto& [name, t] : optimizer.state()) {
    const std::string key = "optimizer." + name;
    HM_CHECK(file.contains(key), "{}: optimizer state '{}' is missing", path, key);
    HM_CHECK(file.entry(key).shape == t->shape(), "{}: optimizer state '{}' has shape {}, expected {}", path, key,
             file.entry(key).shape.str(), t->shape().str());
    t->copy_from(file.tensor(key));
  }
  try {
    state = trainer_state_from_json(nlohmann::json::parse(file.metadata("heatmark.train_state")), path);
    optimizer.set_steps(std::stoll(file.metadata("heatmark.optimizer_steps")));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: the trainer state is not valid JSON ({})", path, e.what());
  } catch (const std::logic_error&) {
    fail("{}: metadata 'heatmark.optimizer_steps' is not a number", path);
  }
  CheckpointProvenance provenance;
  const auto parse = [&](const char* key) {
    try {
      return nlohmann::json::parse(file.metadata(key));
    } catch (const nlohmann::json::exception& e) {
      fail("{}: metadata '{}' is not valid JSON ({})", path, key, e.what());
    }
  };
  if (file.metadata().count("heatmark.train_config")) {
    TrainConfig c;
    update_from_json(c, parse("heatmark.train_config"), path + " (its training config)");
    provenance.config = c;
  }
  if (file.metadata().count("heatmark.run_record"))
    provenance.record = run_record_from_json(parse("heatmark.run_record"), path);
  return provenance;
}

}  // namespace heatmark
