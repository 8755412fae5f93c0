// What a checkpoint records about its run, and how a resume's data, split
// and config are told apart from it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "train/run_record.h"

using namespace heatmark;

namespace {
Dataset dataset(int n) {
  Dataset d;
  d.root = "/data/ceph";
  d.landmark_names = {"S", "N"};
  for (int i = 0; i < n; ++i)
    d.samples.push_back({"/data/ceph/images/" + std::to_string(i) + ".png", std::to_string(i), {{1.0 + i, 2}, {3, 4}}});
  return d;
}

bool mentions(const std::vector<std::string>& differences, const std::string& text) {
  return std::any_of(differences.begin(), differences.end(),
                     [&](const std::string& d) { return d.find(text) != std::string::npos; });
}
}  // namespace

TEST_CASE("run record: images are recorded relative to the dataset root, and the same data agrees") {
  const Dataset d = dataset(4);
  const RunRecord r = make_run_record(d, {{0, 1, 2}, {3}});
  CHECK(r.images == 4);
  CHECK(r.train == std::vector<std::string>{"images/0.png", "images/1.png", "images/2.png"});
  CHECK(r.validation == std::vector<std::string>{"images/3.png"});
  CHECK(run_differences(r, make_run_record(d, {{0, 1, 2}, {3}})).empty());
  CHECK(run_differences(r, run_record_from_json(to_json(r), "test")).empty());
}

TEST_CASE("run record: a former validation image trained on is named, as are images gone and new") {
  const Dataset d = dataset(4);
  const RunRecord recorded = make_run_record(d, {{0, 1, 2}, {3}});
  const std::vector<std::string> swapped = run_differences(recorded, make_run_record(d, {{0, 1, 3}, {2}}));
  CHECK(mentions(swapped, "1 validation image(s) of the checkpoint would be trained on: images/3.png"));
  CHECK(mentions(swapped, "1 training image(s) of the checkpoint would be validated on: images/2.png"));
  CHECK_FALSE(mentions(swapped, "no longer in the dataset"));

  const std::vector<std::string> grown = run_differences(recorded, make_run_record(dataset(5), {{0, 1, 2, 4}, {3}}));
  CHECK(mentions(grown, "the dataset has 5 images, the checkpoint's had 4"));
  CHECK(mentions(grown, "1 image(s) are new to the run: images/4.png"));
  const std::vector<std::string> shrunk = run_differences(recorded, make_run_record(dataset(3), {{0, 1}, {2}}));
  CHECK(mentions(shrunk, "no longer in the dataset: images/3.png"));
}

TEST_CASE("run record: a moved landmark or changed spacing changes the fingerprint, not the lists") {
  Dataset d = dataset(3);
  const RunRecord recorded = make_run_record(d, {{0, 1}, {2}});
  d.samples[1].landmarks[0].x += 0.5;
  const std::vector<std::string> moved = run_differences(recorded, make_run_record(d, {{0, 1}, {2}}));
  REQUIRE(moved.size() == 1);
  CHECK(mentions(moved, "the annotations or image files changed"));
  Dataset spaced = dataset(3);
  spaced.samples[0].mm_per_px_x = spaced.samples[0].mm_per_px_y = 0.1;
  CHECK(make_run_record(spaced, {{0, 1}, {2}}).data_fingerprint != recorded.data_fingerprint);
  Dataset renamed = dataset(3);
  renamed.landmark_names[1] = "Me";
  CHECK(make_run_record(renamed, {{0, 1}, {2}}).data_fingerprint != recorded.data_fingerprint);
}

TEST_CASE("run record: config differences name settings that change a checkpoint's meaning, not its length") {
  TrainConfig a;
  TrainConfig b = a;
  b.epochs = 500;
  b.patience = 3;
  b.max_steps = 10;
  b.time_budget = 60;
  b.threads = 2;
  b.device = "emu";
  b.data = "/elsewhere";
  CHECK(config_differences(a, b).empty());
  b.lr = 0.01;
  b.augment.rotation_degrees = 5;
  b.val_fraction = 0.5;
  const std::vector<std::string> d = config_differences(a, b);
  CHECK(d.size() == 3);
  CHECK(mentions(d, "lr 0.001 -> 0.01"));
  CHECK(mentions(d, "augment.rotation_degrees 15.0 -> 5.0"));
  CHECK(mentions(d, "val_fraction 0.2 -> 0.5"));
}
