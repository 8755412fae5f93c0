// The labelme JSON format (data/formats/labelme.cpp): point shapes named by
// their sorted labels, and one-line errors for malformed files.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "data/dataset.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using heatmark::testing::error_of;
using heatmark::testing::TempDir;
using heatmark::testing::write_file;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ---- labelme ----

json point(const std::string& label, double x, double y) {
  return {{"label", label},
          {"points", {{x, y}}},
          {"group_id", nullptr},
          {"shape_type", "point"},
          {"flags", json::object()}};
}

std::string labelme_json(const std::string& image, const std::vector<json>& shapes, int width = 100, int height = 80) {
  return json{{"version", "5.2.1"},     {"flags", json::object()}, {"shapes", shapes},   {"imagePath", image},
              {"imageData", "iVBORw0"}, {"imageHeight", height},   {"imageWidth", width}}
      .dump(2);
}

}  // namespace

TEST_CASE("labelme: point shapes give landmarks named by the sorted labels") {
  TempDir dir;
  write_file(dir / "lm/b.png", "image");
  write_file(dir / "lm/imgs/a.jpg", "image");
  write_file(dir / "lm/b.json",
             labelme_json("b.png", {point("S", 10, 20),
                                    point("N", 30, 40),
                                    {{"label", "box"}, {"points", {{1, 2}, {3, 4}}}, {"shape_type", "rectangle"}},
                                    {{"label", "Me"}, {"points", {{5, 6}}}}}));
  write_file(
      dir / "lm/a.json",
      labelme_json("imgs\\a.jpg", {point("N", 1.5, 2.5),
                                   point("Me", 7, 8),
                                   point("S", 3, 4),
                                   {{"label", "S"}, {"points", {{0, 0}, {1, 1}, {2, 0}}}, {"shape_type", "polygon"}},
                                   {{"label", "line"}, {"points", {{0, 0}, {1, 1}}}}}));
  write_file(dir / "lm/notes.txt", "not an annotation");

  const Dataset d = load_dataset(dir / "lm");  // detected as labelme
  CHECK(d.format == "labelme");
  CHECK(d.root == dir / "lm");
  CHECK(d.landmark_names == std::vector<std::string>{"Me", "N", "S"});
  REQUIRE(d.samples.size() == 2);
  CHECK(d.samples[0].id == "a");
  CHECK(d.samples[1].id == "b");
  CHECK(fs::equivalent(d.samples[0].image, dir / "lm/imgs/a.jpg"));
  CHECK(d.samples[1].image == dir / "lm/b.png");
  const std::vector<Point>& a = d.samples[0].landmarks;
  REQUIRE(a.size() == 3);
  CHECK(a[0].x == 7);
  CHECK(a[0].y == 8);
  CHECK(a[1].x == 1.5);
  CHECK(a[1].y == 2.5);
  CHECK(a[2].x == 3);
  CHECK(a[2].y == 4);
  const std::vector<Point>& b = d.samples[1].landmarks;
  CHECK(b[0].x == 5);
  CHECK(b[0].y == 6);
  CHECK(b[2].x == 10);
  CHECK(b[2].y == 20);
  CHECK_FALSE(d.samples[0].has_spacing());
}

TEST_CASE("labelme: malformed files give one-line errors naming the file, shape and label") {
  TempDir dir;
  int n = 0;
  // A folder with a good a.json and `b` as b.json, and both images.
  auto labelme = [&](const std::string& b) {
    const std::string folder = dir / ("case" + std::to_string(n++));
    write_file(folder + "/a.png", "image");
    write_file(folder + "/b.png", "image");
    write_file(folder + "/a.json", labelme_json("a.png", {point("S", 1, 2), point("N", 3, 4)}));
    write_file(folder + "/b.json", b);
    return folder;
  };
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("b.png", {point("S", 1, 2)}))), "b.json: no point labelled 'N'",
              "a.json");
  CHECK_ERROR(
      read_labelme_dataset(labelme(labelme_json("b.png", {point("S", 1, 2), point("N", 3, 4), point("S", 5, 6)}))),
      "b.json: label 'S' appears twice (shapes[2])");
  json three = point("N", 3, 4);
  three["points"] = {{3, 4, 5}};
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("b.png", {point("S", 1, 2), three}))),
              "b.json: shapes[1].points must be [[x, y]]");
  json two = point("N", 3, 4);
  two["points"] = {{3, 4}, {5, 6}};
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("b.png", {two, point("S", 1, 2)}))),
              "b.json: shapes[0].points must be [[x, y]]");
  json text = point("N", 3, 4);
  text["points"] = json::array({json::array({"3", 4})});
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("b.png", {point("S", 1, 2), text}))),
              "b.json: shapes[1].points[0][0] must be a number, got string");
  json unlabelled = point("N", 3, 4);
  unlabelled["label"] = 7;
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("b.png", {point("S", 1, 2), unlabelled}))),
              "b.json: shapes[1].label must be a string");
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("c.png", {point("S", 1, 2), point("N", 3, 4)}))),
              "b.json: image 'c.png' does not exist");
  json no_path = json::parse(labelme_json("b.png", {point("S", 1, 2), point("N", 3, 4)}));
  no_path.erase("imagePath");
  CHECK_ERROR(read_labelme_dataset(labelme(no_path.dump())), "b.json: imagePath must be the image file name");
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("b.png", {point("S", 1, 2), point("N", 250, 4)}, 100, 80))),
              "b.json: label 'N' (shapes[1]) has x = 250, far outside");
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("b.png", {point("S", 1, -90), point("N", 3, 4)}, 100, 80))),
              "b.json: label 'S' (shapes[0]) has y = -90, far outside");
  CHECK_ERROR(read_labelme_dataset(labelme("{\"shapes\": [}")), "b.json: not valid JSON", "parse error");
  CHECK_ERROR(read_labelme_dataset(labelme(R"({"shapes": {"label": "S"}, "imagePath": "b.png"})")),
              "b.json: expected an object with a 'shapes' array");
  CHECK_ERROR(read_labelme_dataset(labelme(R"({"shapes": [[1, 2]], "imagePath": "b.png"})")),
              "b.json: shapes[0] must be an object, got array");
  // imagePath stays inside the dataset folder unless allowed; text must be UTF-8 (a BOM is fine).
  write_file(dir / "outside.png", "image");
  const std::string escape = labelme(labelme_json("../outside.png", {point("S", 1, 2), point("N", 3, 4)}));
  CHECK_ERROR(read_labelme_dataset(escape), "b.json: image '../outside.png' is outside the dataset folder",
              "(give --allow-outside-paths to allow it)");
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("/etc/passwd", {point("S", 1, 2), point("N", 3, 4)}))),
              "b.json: image '/etc/passwd' is outside the dataset folder");
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("..\\..\\x.png", {point("S", 1, 2), point("N", 3, 4)}))),
              "b.json: image '../../x.png' is outside the dataset folder");
  DatasetOptions allow;
  allow.allow_outside_paths = true;
  CHECK(read_labelme_dataset(escape, allow).samples.size() == 2);
  CHECK(read_labelme_dataset(labelme("\xEF\xBB\xBF" + labelme_json("b.png", {point("S", 1, 2), point("N", 3, 4)})))
            .samples.size() == 2);
  CHECK_ERROR(read_labelme_dataset(labelme("{\"shapes\": [], \"imagePath\": \"b\xE9.png\"}")),
              "b.json line 1: not valid UTF-8 (byte 0xe9 at column 31); save the file as UTF-8");
  CHECK_ERROR(read_labelme_dataset(labelme(labelme_json("b.png", {point("S", 1, 2), point("N\nx", 3, 4)}))),
              "b.json: shapes[1].label 'N\\nx' holds a line break");
  // Points within one image size outside the image are accepted (labelme lets one click past the border).
  CHECK(read_labelme_dataset(labelme(labelme_json("b.png", {point("S", -50, 150), point("N", 3, 4)}, 100, 80)))
            .samples.size() == 2);

  fs::create_directories(dir / "empty");
  CHECK_ERROR(read_labelme_dataset(dir / "empty"), "empty: no labelme .json files");
}

// The ISBI 2015 challenge files shared beside the repository. CI always has
