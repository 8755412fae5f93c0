// val_predictions.csv (train/validation.h): image names that are the user's,
// commas, quotes and edge spaces included, read back as written.
#include <doctest/doctest.h>

#include "tests/support/temp_dir.h"
#include "tests/support/training_runs.h"
#include "train/validation.h"

using namespace heatmark;
using heatmark::testing::TempDir;

TEST_CASE("validation: val_predictions.csv quotes image names so that they read back as written") {
  TempDir dir;
  Dataset d;
  d.root = dir / "data";
  d.landmark_names = {"S", "N"};
  const std::vector<std::string> names = {"plain.png", "a, b.png", "say \"hi\".png", " edge .png"};
  for (const std::string& name : names) d.samples.push_back({dir / ("data/images/" + name), name, {}});
  std::vector<std::vector<Point>> predictions;
  for (size_t i = 0; i < names.size(); ++i) predictions.push_back({{1.0 + i, 2.5}, {3.125, 4.0 + i}});
  write_predictions_csv(dir / "val_predictions.csv", d, {0, 1, 2, 3}, predictions);

  const std::map<std::string, std::vector<Point>> read = testing::predictions_of(dir / "val_predictions.csv");
  REQUIRE(read.size() == names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    INFO(names[i]);
    REQUIRE(read.count("images/" + names[i]));
    const std::vector<Point>& p = read.at("images/" + names[i]);
    REQUIRE(p.size() == 2);
    CHECK(p[0].x == 1.0 + i);
    CHECK(p[0].y == 2.5);
    CHECK(p[1].x == 3.125);
    CHECK(p[1].y == 4.0 + i);
  }
  const std::vector<CsvRow> rows = read_csv(dir / "val_predictions.csv");
  CHECK(rows[0].fields == std::vector<std::string>{"image", "x1", "y1", "x2", "y2"});
}
