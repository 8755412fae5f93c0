// The training setup: splits by subject, epoch orders, LR schedules and the
// training config's JSON.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "train/schedule.h"
#include "train/split.h"
#include "train/train_config.h"

using namespace heatmark;
using heatmark::testing::error_of;
using heatmark::testing::TempDir;
using heatmark::testing::write_file;

TEST_CASE("training setup: splits are deterministic from the seed, by subject, and from lists with clear errors") {
  Dataset d;
  d.root = "/data";
  for (int i = 0; i < 20; ++i) d.samples.push_back({"/data/images/" + std::to_string(i) + ".png", std::to_string(i), {}});
  d.samples.push_back({"/data/fullres/3.png", "3", {}});  // subject 3 again, at another resolution
  const Split a = random_split(d, 0.25, 1), b = random_split(d, 0.25, 1), c = random_split(d, 0.25, 2);
  CHECK(a.train == b.train);
  CHECK(a.train != c.train);
  CHECK(a.validation.size() + a.train.size() == 21);
  const bool three_in_validation = std::count(a.validation.begin(), a.validation.end(), 3);
  CHECK(std::count(a.validation.begin(), a.validation.end(), 20) == three_in_validation);  // same subject, same side
  CHECK(error_of([&] { random_split(d, 0.999, 1); }).find("leaves an empty") != std::string::npos);

  TempDir dir;
  write_file(dir / "train.txt", "0\n1.png\nimages/2.png\n");
  write_file(dir / "val.txt", "4\n");
  CHECK(error_of([&] { split_from_lists(d, dir / "train.txt", dir / "val.txt"); }).find("is in neither") !=
        std::string::npos);
  write_file(dir / "val.txt", "nope.png\n");
  CHECK(error_of([&] { split_from_lists(d, dir / "train.txt", dir / "val.txt"); }).find("val.txt line 1: 'nope.png' is not an image") !=
        std::string::npos);
  // Lists saved by a Windows editor: a byte-order mark and CRLF; Latin-1 is refused naming the line.
  write_file(dir / "val.txt", "\xEF\xBB\xBF" "images/3.png\r\n3\r\n");  // "3" is the last sample of subject 3
  std::string train = "\xEF\xBB\xBF" "0\r\n1.png\r\n\r\nimages/2.png\r\n";
  for (int i = 4; i < 20; ++i) train += std::to_string(i) + "\r\n";
  write_file(dir / "train.txt", train);
  const Split listed = split_from_lists(d, dir / "train.txt", dir / "val.txt");
  CHECK(listed.validation == std::vector<size_t>{3, 20});
  CHECK(listed.train.size() == 19);
  write_file(dir / "val.txt", "3\nM\xE9nton.png\n");
  CHECK_ERROR(split_from_lists(d, dir / "train.txt", dir / "val.txt"),
              "val.txt line 2: not valid UTF-8 (byte 0xe9 at column 2); save the file as UTF-8");
  std::vector<size_t> order = epoch_order(10, 1, 0), again = epoch_order(10, 1, 0), next = epoch_order(10, 1, 1);
  CHECK(order == again);
  CHECK(order != next);
  std::sort(order.begin(), order.end());
  CHECK(order == std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("training setup: LR schedules: warmup, cosine, step and constant") {
  const LrSchedule cosine{"cosine", 1.0, 10, 110, 1, 0.1};
  CHECK(cosine.at(0) == doctest::Approx(0.1));
  CHECK(cosine.at(9) == doctest::Approx(1.0));
  CHECK(cosine.at(60) == doctest::Approx(0.5));
  CHECK(cosine.at(110) == doctest::Approx(0.0));
  const LrSchedule step{"step", 1.0, 0, 100, 30, 0.1};
  CHECK(step.at(29) == 1.0);
  CHECK(step.at(30) == doctest::Approx(0.1));
  CHECK(step.at(65) == doctest::Approx(0.01));
  CHECK(LrSchedule{"constant", 0.3, 0, 100, 1, 0.1}.at(99) == 0.3);
}

TEST_CASE("training setup: the train config: JSON round trip, unknown fields and wrong types are named") {
  TrainConfig c;
  c.data = "d";
  c.out = "o";
  c.lr = 5e-4;
  c.augment.rotation_degrees = 7;
  TrainConfig back;
  update_from_json(back, to_json(c), "test");
  CHECK(to_json(back) == to_json(c));
  CHECK(error_of([&] { update_from_json(back, nlohmann::json{{"learning_rate", 1}}, "cfg.json"); }) ==
        "cfg.json: unknown field 'learning_rate'");
  CHECK(error_of([&] { update_from_json(back, nlohmann::json{{"epochs", "many"}}, "cfg.json"); })
            .find("field 'epochs' has the wrong type") != std::string::npos);
  CHECK(error_of([&] { update_from_json(back, nlohmann::json{{"augment", {{"spin", 1}}}}, "cfg.json"); }) ==
        "cfg.json: unknown field 'augment.spin'");
  TrainConfig bad = c;
  bad.input_size = 100;
  CHECK(error_of([&] { bad.validate(); }).find("input_size (--input-size) must be a multiple of 32") != std::string::npos);
}
