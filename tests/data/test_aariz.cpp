// The Aariz JSON format (data/formats/aariz.cpp): landmarks matched by
// symbol, both orthodontists averaged, the machine's spacing, and one-line
// errors for malformed files.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <tuple>

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

// ---- Aariz ----

const std::string kSenior = "Annotations/Cephalometric Landmarks/Senior Orthodontists/";
const std::string kJunior = "Annotations/Cephalometric Landmarks/Junior Orthodontists/";

std::string aariz_json(const std::vector<std::tuple<std::string, double, double>>& landmarks) {
  json j = {{"ceph_id", "x"}, {"landmarks", json::array()}};
  int id = 1;
  for (const auto& [symbol, x, y] : landmarks)
    j["landmarks"].push_back(
        {{"landmark_id", id++}, {"title", "title of " + symbol}, {"symbol", symbol}, {"value", {{"x", x}, {"y", y}}}});
  return j.dump(2);
}

}  // namespace

TEST_CASE("aariz: landmarks match by symbol, average the annotators and take the machine's spacing") {
  TempDir dir;
  write_file(dir / "aariz/train/Cephalograms/a1.png", "image");
  write_file(dir / "aariz/train/Cephalograms/a2.jpg", "image");
  write_file(dir / "aariz/train/Cephalograms/unlabelled.png", "image");
  write_file(dir / "aariz/valid/Cephalograms/b1.bmp", "image");
  write_file(dir / "aariz/train/" + kSenior + "a1.json", aariz_json({{"S", 10, 20}, {"N", 30, 40}, {"Or", 50, 60}}));
  write_file(dir / "aariz/train/" + kJunior + "a1.json", aariz_json({{"Or", 52, 62}, {"S", 12, 22}, {"N", 30, 44}}));
  write_file(dir / "aariz/train/" + kSenior + "a2.json", aariz_json({{"N", 1, 2}, {"Or", 3, 4}, {"S", 5, 6}}));
  write_file(dir / "aariz/valid/" + kJunior + "b1.json", aariz_json({{"S", 7.5, 8}, {"N", 9, 10}, {"Or", 11, 12}}));
  write_file(dir / "aariz/cephalogram_machine_mappings.csv",
             "cephalogram_id,machine,pixel_size,image_format,mode\n"
             "a1,Planmeca,0.12,PNG,ceph\n"
             "b1,Carestream,0.14,BMP,ceph\n");

  const Dataset d = load_dataset(dir / "aariz");  // detected as Aariz
  CHECK(d.format == "aariz");
  CHECK(d.root == dir / "aariz");
  CHECK(d.landmark_names == std::vector<std::string>{"S", "N", "Or"});
  REQUIRE(d.samples.size() == 3);
  CHECK(d.samples[0].id == "a1");
  CHECK(d.samples[1].id == "a2");
  CHECK(d.samples[2].id == "b1");
  CHECK(d.samples[0].image == dir / "aariz/train/Cephalograms/a1.png");
  CHECK(d.samples[1].image == dir / "aariz/train/Cephalograms/a2.jpg");
  CHECK(d.samples[2].image == dir / "aariz/valid/Cephalograms/b1.bmp");
  const std::vector<Point>& a1 = d.samples[0].landmarks;
  REQUIRE(a1.size() == 3);
  CHECK(a1[0].x == 11);
  CHECK(a1[0].y == 21);
  CHECK(a1[1].x == 30);
  CHECK(a1[1].y == 42);
  CHECK(a1[2].x == 51);
  CHECK(a1[2].y == 61);
  const std::vector<Point>& a2 = d.samples[1].landmarks;  // senior only, in another order
  CHECK(a2[0].x == 5);
  CHECK(a2[0].y == 6);
  CHECK(a2[1].x == 1);
  CHECK(a2[2].y == 4);
  CHECK(d.samples[2].landmarks[0].x == 7.5);  // junior only
  CHECK(d.samples[2].landmarks[2].y == 12);
  CHECK(d.samples[0].mm_per_px_x == 0.12);
  CHECK(d.samples[0].mm_per_px_y == 0.12);
  CHECK_FALSE(d.samples[1].has_spacing());  // not in the mappings file
  CHECK(d.samples[2].mm_per_px_x == 0.14);

  DatasetOptions valid;
  valid.split = "valid";
  const Dataset v = read_aariz_dataset(dir / "aariz", valid);
  REQUIRE(v.samples.size() == 1);
  CHECK(v.samples[0].id == "b1");

  // A single split's folder; the mappings file is in its parent.
  const Dataset train = read_aariz_dataset(dir / "aariz/train", {});
  REQUIRE(train.samples.size() == 2);
  CHECK(train.samples[0].landmarks[1].y == 42);
  CHECK(train.samples[0].mm_per_px_x == 0.12);

  fs::remove(dir / "aariz/cephalogram_machine_mappings.csv");
  CHECK_FALSE(read_aariz_dataset(dir / "aariz", {}).samples[0].has_spacing());
}

TEST_CASE("aariz: malformed files give one-line errors naming the file and field") {
  TempDir dir;
  int n = 0;
  // A train split with image c1 whose senior file is {S, N} and junior file `junior`.
  auto aariz = [&](const std::string& junior) {
    const std::string root = dir / ("case" + std::to_string(n++));
    write_file(root + "/train/Cephalograms/c1.png", "image");
    write_file(root + "/train/" + kSenior + "c1.json", aariz_json({{"S", 1, 2}, {"N", 3, 4}}));
    write_file(root + "/train/" + kJunior + "c1.json", junior);
    return root;
  };
  CHECK_ERROR(read_aariz_dataset(aariz(aariz_json({{"S", 1, 2}})), {}),
              "Junior Orthodontists/c1.json: missing symbol 'N'", "Senior Orthodontists/c1.json");
  CHECK_ERROR(read_aariz_dataset(aariz(aariz_json({{"S", 1, 2}, {"N", 3, 4}, {"Po", 5, 6}})), {}),
              "Junior Orthodontists/c1.json: extra symbol 'Po'");
  CHECK_ERROR(read_aariz_dataset(aariz(aariz_json({{"S", 1, 2}, {"N", 3, 4}, {"S", 5, 6}})), {}),
              "Junior Orthodontists/c1.json: symbol 'S' appears twice (landmarks[2])");
  CHECK_ERROR(read_aariz_dataset(aariz("{\"landmarks\": [{\"symbol\": \"S\",}]}"), {}),
              "Junior Orthodontists/c1.json: not valid JSON", "parse error at line 1");
  CHECK_ERROR(read_aariz_dataset(aariz(R"({"landmarks": [{"symbol": "S", "value": {"x": 1, "y": 2}},
                                                          {"symbol": "N", "value": {"x": "3", "y": 4}}]})"),
                                 {}),
              "Junior Orthodontists/c1.json: landmarks[1].value.x must be a number, got string");
  CHECK_ERROR(read_aariz_dataset(aariz(R"({"landmarks": [{"symbol": 5, "value": {"x": 1, "y": 2}}]})"), {}),
              "c1.json: landmarks[0].symbol must be a string");
  CHECK_ERROR(read_aariz_dataset(aariz(R"({"landmarks": [{"symbol": "S", "value": [1, 2]}]})"), {}),
              "c1.json: landmarks[0].value must be {\"x\": ..., \"y\": ...}");
  CHECK_ERROR(read_aariz_dataset(aariz(R"({"points": []})"), {}),
              "c1.json: expected an object with a 'landmarks' array");
  CHECK_ERROR(read_aariz_dataset(aariz(R"({"landmarks": [{"symbol": "S", "value": {"x": 1e999, "y": 2}}]})"), {}),
              "Junior Orthodontists/c1.json: not valid JSON", "number overflow");

  // A byte-order mark is dropped; Latin-1 text and file names are refused; a symbol is a name, on one line.
  CHECK(read_aariz_dataset(aariz("\xEF\xBB\xBF" + aariz_json({{"S", 1, 2}, {"N", 3, 4}})), {}).samples.size() == 1);
  CHECK_ERROR(read_aariz_dataset(aariz("{\"landmarks\": [{\"symbol\": \"\xC9\"}]}"), {}),
              "Junior Orthodontists/c1.json line 1: not valid UTF-8 (byte 0xc9 at column 28)");
  CHECK_ERROR(read_aariz_dataset(aariz(aariz_json({{"S", 1, 2}, {"N\r", 3, 4}})), {}),
              "Junior Orthodontists/c1.json: landmarks[1].symbol 'N\\r' holds a line break");
  const std::string latin1 = aariz(aariz_json({{"S", 1, 2}, {"N", 3, 4}}));
  write_file(latin1 + "/train/" + kSenior + "c\xE9.json", aariz_json({{"S", 1, 2}, {"N", 3, 4}}));
  CHECK_ERROR(read_aariz_dataset(latin1, {}), "Senior Orthodontists/c\\xe9.json: the name is not valid UTF-8");

  // A missing image names the annotation file and the folder it looked in.
  const std::string root = aariz(aariz_json({{"N", 3, 4}, {"S", 1, 2}}));
  fs::remove(root + "/train/Cephalograms/c1.png");
  CHECK_ERROR(read_aariz_dataset(root, {}), "Senior Orthodontists/c1.json: no image c1.png", "train/Cephalograms");
  write_file(root + "/train/Cephalograms/c1.png", "image");

  write_file(root + "/cephalogram_machine_mappings.csv",
             "cephalogram_id,machine,pixel_size,image_format,mode\nc1,Planmeca,abc,PNG,ceph\n");
  CHECK_ERROR(read_aariz_dataset(root, {}),
              "cephalogram_machine_mappings.csv line 2: column 'pixel_size' is 'abc', not a number");
  write_file(root + "/cephalogram_machine_mappings.csv", "id,machine,size\nc1,Planmeca,0.1\n");
  CHECK_ERROR(
      read_aariz_dataset(root, {}),
      "cephalogram_machine_mappings.csv line 1: expected a header with the columns cephalogram_id and pixel_size");
  fs::remove(root + "/cephalogram_machine_mappings.csv");

  DatasetOptions options;
  options.split = "training";
  CHECK_ERROR(read_aariz_dataset(root, options), "unknown Aariz split 'training'");
  options.split = "test";
  CHECK_ERROR(read_aariz_dataset(root, options), "no split 'test'", "test/Cephalograms");
}
