#include "train/run_record.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "base/error.h"

namespace heatmark {

namespace fs = std::filesystem;

namespace {

struct Fnv1a {
  uint64_t hash = 1469598103934665603ull;
  void add(const std::string& text) {
    for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
    hash = (hash ^ 0xff) * 1099511628211ull;  // a separator, so "ab"+"c" differs from "a"+"bc"
  }
};

std::string relative_to(const std::string& image, const std::string& root) {
  const fs::path rel = fs::absolute(image).lexically_normal().lexically_relative(fs::absolute(root).lexically_normal());
  return rel.empty() ? image : rel.generic_string();
}

// The names of `items` that `pick` keeps, at most three (then "and N more"), and how many in all.
template <typename Pick>
std::string some_of(const std::vector<std::string>& items, Pick pick, size_t& count) {
  std::string names;
  count = 0;
  for (const std::string& n : items)
    if (pick(n) && ++count <= 3) names += (names.empty() ? "" : ", ") + n;
  if (count > 3) names += fmt::format(" and {} more", count - 3);
  return names;
}

}  // namespace

RunRecord make_run_record(const Dataset& data, const Split& split) {
  RunRecord r;
  Fnv1a f;
  for (const std::string& name : data.landmark_names) f.add(name);
  for (const Sample& s : data.samples) {
    f.add(relative_to(s.image, data.root));
    std::error_code error;
    const uintmax_t bytes = fs::file_size(s.image, error);
    f.add(error ? std::string("?") : std::to_string(bytes));
    f.add(s.id);
    for (const Point& p : s.landmarks) f.add(fmt::format("{:.17g},{:.17g}", p.x, p.y));
    f.add(fmt::format("{:.17g},{:.17g}", s.mm_per_px_x, s.mm_per_px_y));
  }
  r.data_fingerprint = fmt::format("{:016x}", f.hash);
  r.images = static_cast<int64_t>(data.samples.size());
  for (size_t i : split.train) r.train.push_back(relative_to(data.samples[i].image, data.root));
  for (size_t i : split.validation) r.validation.push_back(relative_to(data.samples[i].image, data.root));
  return r;
}

nlohmann::json to_json(const RunRecord& r) {
  return {{"data_fingerprint", r.data_fingerprint}, {"images", r.images}, {"train", r.train},
          {"validation", r.validation}};
}

RunRecord run_record_from_json(const nlohmann::json& j, const std::string& source) {
  RunRecord r;
  try {
    r.data_fingerprint = j.at("data_fingerprint").get<std::string>();
    r.images = j.at("images").get<int64_t>();
    r.train = j.at("train").get<std::vector<std::string>>();
    r.validation = j.at("validation").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    fail("{}: the run record is incomplete ({})", source, e.what());
  }
  return r;
}

std::vector<std::string> run_differences(const RunRecord& recorded, const RunRecord& now) {
  std::vector<std::string> d;
  if (recorded.images != now.images)
    d.push_back(fmt::format("the dataset has {} images, the checkpoint's had {}", now.images, recorded.images));
  const std::set<std::string> recorded_train(recorded.train.begin(), recorded.train.end()),
      recorded_validation(recorded.validation.begin(), recorded.validation.end()),
      now_train(now.train.begin(), now.train.end()), now_validation(now.validation.begin(), now.validation.end());
  const auto in = [](const std::set<std::string>& a, const std::set<std::string>& b) {
    return [&a, &b](const std::string& n) { return a.count(n) || b.count(n); };
  };
  const auto in_one = [](const std::set<std::string>& a) { return [&a](const std::string& n) { return a.count(n) > 0; }; };
  size_t count = 0;
  // Images that changed sides first: a former validation image trained on is the worst case.
  std::string names = some_of(recorded.validation, in_one(now_train), count);
  if (count) d.push_back(fmt::format("{} validation image(s) of the checkpoint would be trained on: {}", count, names));
  names = some_of(recorded.train, in_one(now_validation), count);
  if (count) d.push_back(fmt::format("{} training image(s) of the checkpoint would be validated on: {}", count, names));
  std::vector<std::string> all_recorded = recorded.train, all_now = now.train;
  all_recorded.insert(all_recorded.end(), recorded.validation.begin(), recorded.validation.end());
  all_now.insert(all_now.end(), now.validation.begin(), now.validation.end());
  const auto still_there = in(now_train, now_validation), known = in(recorded_train, recorded_validation);
  names = some_of(all_recorded, [&](const std::string& n) { return !still_there(n); }, count);
  if (count) d.push_back(fmt::format("{} image(s) of the checkpoint are no longer in the dataset: {}", count, names));
  names = some_of(all_now, [&](const std::string& n) { return !known(n); }, count);
  if (count) d.push_back(fmt::format("{} image(s) are new to the run: {}", count, names));
  if (d.empty() && recorded.data_fingerprint != now.data_fingerprint)
    d.push_back(fmt::format("the annotations or image files changed (data fingerprint {}, the checkpoint's {})",
                            now.data_fingerprint, recorded.data_fingerprint));
  return d;
}

std::vector<std::string> config_differences(const TrainConfig& recorded, const TrainConfig& now) {
  static const std::set<std::string> may_change{"epochs", "patience", "max_steps", "time_budget", "device",  "kernels",
                                                "threads", "out",     "data",      "images",      "train_list", "val_list",
                                                "allow_outside_paths"};
  const nlohmann::json r = to_json(recorded), n = to_json(now);
  std::vector<std::string> d;
  for (const auto& [key, value] : r.items()) {
    if (may_change.count(key)) continue;
    if (value.is_object()) {  // augment
      for (const auto& [sub, v] : value.items())
        if (n.at(key).at(sub) != v) d.push_back(fmt::format("{}.{} {} -> {}", key, sub, v.dump(), n.at(key).at(sub).dump()));
    } else if (n.at(key) != value) {
      d.push_back(fmt::format("{} {} -> {}", key, value.dump(), n.at(key).dump()));
    }
  }
  return d;
}

}  // namespace heatmark
