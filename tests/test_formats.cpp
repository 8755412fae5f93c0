// Annotation formats: ISBI 2015 txt, Aariz JSON and labelme JSON read into the
// same Dataset, and malformed files give one-line errors naming the file and
// the problem. Every test writes its own files; the shared ISBI 2015 files are
// read only where they are present.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "tensor/error.h"
#include "train/dataset.h"
#include "tests/temp_dir.h"

using namespace heatmark;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {


// Writes `bytes` to `path`, creating its folders. Images are any bytes: the
// readers only check that they exist.
void write_file(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// The message of the heatmark::Error that `read` throws.
template <typename F>
std::string error_of(F&& read) {
  try {
    read();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("(not a heatmark::Error) ") + e.what();
  }
  return "(no error)";
}

// `expr` throws a one-line heatmark::Error containing every one of the strings.
#define CHECK_ERROR(expr, ...)                                                       \
  do {                                                                               \
    const std::string message_ = error_of([&] { (void)(expr); });                    \
    INFO("error: ", message_);                                                       \
    CHECK(message_.rfind("(no", 0) != 0);                                            \
    CHECK(message_.find('\n') == std::string::npos);                                 \
    for (const std::string& part_ : std::initializer_list<std::string>{__VA_ARGS__}) \
      CHECK_MESSAGE(message_.find(part_) != std::string::npos, "expected: ", part_); \
  } while (0)

// ---- ISBI ----

// 19 lines "x,y" with landmark k at (base + k, 2 base + k), plus 8 class labels if asked.
std::string isbi_txt(double base, bool labels = false) {
  std::string text;
  for (int k = 0; k < 19; ++k) text += fmt::format("{},{}\n", base + k, 2 * base + k);
  if (labels)
    for (int i = 0; i < 8; ++i) text += fmt::format("{}\n", i % 4 + 1);
  return text;
}

// `text` with its 1-based line `line` replaced.
std::string with_line(const std::string& text, int line, const std::string& replacement) {
  size_t begin = 0;
  for (int i = 1; i < line; ++i) begin = text.find('\n', begin) + 1;
  return text.substr(0, begin) + replacement + text.substr(text.find('\n', begin));
}

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

TEST_CASE("formats: ISBI txt files with 19 or 27 lines read in file order, sorted by id") {
  TempDir dir;
  // 002.txt: the official 27-line form with decimals, spaces, CRLF and blank trailing lines.
  std::string official = with_line(isbi_txt(200, true), 1, "  10.5 , 20.25 ");
  std::string crlf;
  for (char c : official) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  write_file(dir / "ann/002.txt", crlf + "\r\n\r\n");
  write_file(dir / "ann/001.txt", isbi_txt(100));
  write_file(dir / "ann/images/001.bmp", "image");
  write_file(dir / "ann/images/002.PNG", "image");

  const Dataset d = read_isbi_dataset(dir / "ann", {});
  CHECK(d.format == "isbi");
  CHECK(d.root == dir / "ann");
  REQUIRE(d.landmark_names.size() == 19);
  CHECK(d.landmark_names[0] == "S (sella)");
  CHECK(d.landmark_names[15] == "Pog' (soft tissue pogonion)");
  CHECK(d.landmark_names[18] == "Ar (articulare)");
  REQUIRE(d.samples.size() == 2);
  CHECK(d.samples[0].id == "001");
  CHECK(d.samples[1].id == "002");
  CHECK(d.samples[0].image == dir / "ann/images/001.bmp");
  CHECK(d.samples[1].image == dir / "ann/images/002.PNG");
  for (const Sample& s : d.samples) {
    REQUIRE(s.landmarks.size() == 19);
    CHECK_FALSE(s.has_spacing());  // load_dataset applies the default
  }
  CHECK(d.samples[0].landmarks[0].x == 100);
  CHECK(d.samples[0].landmarks[0].y == 200);
  CHECK(d.samples[0].landmarks[18].x == 118);
  CHECK(d.samples[0].landmarks[18].y == 218);
  CHECK(d.samples[1].landmarks[0].x == 10.5);
  CHECK(d.samples[1].landmarks[0].y == 20.25);
  CHECK(d.samples[1].landmarks[18].x == 218);
  CHECK(d.samples[1].landmarks[18].y == 418);
}

TEST_CASE("formats: ISBI senior and junior annotations average, images found beside the folder") {
  TempDir dir;
  write_file(dir / "isbi_txt/senior/101.txt", isbi_txt(100, true));
  write_file(dir / "isbi_txt/junior/101.txt", isbi_txt(103));
  write_file(dir / "isbi_txt/senior/100.txt", isbi_txt(10));
  write_file(dir / "isbi_txt/junior/100.txt", with_line(isbi_txt(20), 2, "7,9"));
  write_file(dir / "fullres/100.png", "image");
  write_file(dir / "fullres/101.png", "image");
  write_file(dir / "images/100.png", "a later folder in the search order");

  DatasetOptions options;
  options.default_mm_per_px = 0.1;
  const Dataset d = load_dataset(dir / "isbi_txt", options);  // detected as ISBI
  CHECK(d.format == "isbi");
  REQUIRE(d.samples.size() == 2);
  CHECK(d.samples[0].id == "100");
  CHECK(fs::equivalent(d.samples[0].image, dir / "fullres/100.png"));
  CHECK(d.samples[0].landmarks[0].x == 15);
  CHECK(d.samples[0].landmarks[0].y == 30);
  CHECK(d.samples[0].landmarks[1].x == (11 + 7) / 2.0);
  CHECK(d.samples[0].landmarks[1].y == (21 + 9) / 2.0);
  CHECK(d.samples[1].landmarks[18].x == (118 + 121) / 2.0);
  CHECK(d.samples[1].landmarks[18].y == (218 + 224) / 2.0);
  CHECK(d.samples[1].mm_per_px_x == 0.1);
  CHECK(d.samples[1].mm_per_px_y == 0.1);

  // The official folder names, with the images given explicitly.
  write_file(dir / "official/AnnotationsByMD/400_senior/001.txt", isbi_txt(0, true));
  write_file(dir / "official/AnnotationsByMD/400_junior/001.txt", isbi_txt(2, true));
  write_file(dir / "elsewhere/001.jpeg", "image");
  DatasetOptions explicit_images;
  explicit_images.images = dir / "elsewhere";
  const Dataset official = read_isbi_dataset(dir / "official/AnnotationsByMD", explicit_images);
  REQUIRE(official.samples.size() == 1);
  CHECK(official.samples[0].image == dir / "elsewhere/001.jpeg");
  CHECK(official.samples[0].landmarks[3].x == 4);
  CHECK(official.samples[0].landmarks[3].y == 5);
  // Without options.images, the official RawImage/TrainingData folder is searched.
  write_file(dir / "official/RawImage/TrainingData/001.bmp", "image");
  const Dataset found = read_isbi_dataset(dir / "official/AnnotationsByMD", {});
  REQUIRE(found.samples.size() == 1);
  CHECK(fs::equivalent(found.samples[0].image, dir / "official/RawImage/TrainingData/001.bmp"));
}

TEST_CASE("formats: malformed ISBI files give one-line errors naming the file, line and problem") {
  TempDir dir;
  int n = 0;
  // A folder holding 001.txt with `text` and its image.
  auto isbi = [&](const std::string& text) {
    const std::string folder = dir / ("case" + std::to_string(n++));
    write_file(folder + "/001.txt", text);
    write_file(folder + "/001.png", "image");
    return folder;
  };
  CHECK_ERROR(read_isbi_dataset(isbi(with_line(isbi_txt(0), 3, "abc")), {}),
              "001.txt line 3: expected 'x,y', got 'abc'");
  CHECK_ERROR(read_isbi_dataset(isbi(with_line(isbi_txt(0), 4, "12,abc")), {}),
              "001.txt line 4: column 'y' is 'abc', not a number");
  CHECK_ERROR(read_isbi_dataset(isbi(with_line(isbi_txt(0), 5, "nan,3")), {}), "001.txt line 5: column 'x'",
              "not a finite number");
  CHECK_ERROR(read_isbi_dataset(isbi(with_line(isbi_txt(0), 6, "1,2,3")), {}), "001.txt line 6: expected 'x,y'",
              "'1,2,3'");
  CHECK_ERROR(read_isbi_dataset(isbi(with_line(isbi_txt(0), 2, "")), {}), "001.txt line 2: expected 'x,y', got ''");
  CHECK_ERROR(read_isbi_dataset(isbi(isbi_txt(0).substr(isbi_txt(0).find('\n') + 1)), {}),
              "001.txt: expected 19 lines 'x,y'", "got 18 lines");
  CHECK_ERROR(read_isbi_dataset(isbi(isbi_txt(0) + "1\n2\n"), {}), "001.txt: expected 19 lines", "got 21 lines");
  CHECK_ERROR(read_isbi_dataset(isbi(with_line(isbi_txt(0, true), 22, "4,5")), {}),
              "001.txt line 22: expected a class label (one integer), got '4,5'");

  // A missing image names the annotation file and where it looked.
  write_file(dir / "noimage/007.txt", isbi_txt(0));
  CHECK_ERROR(read_isbi_dataset(dir / "noimage", {}), "noimage/007.txt: no image 007.png", dir / "noimage", "fullres");
  DatasetOptions options;
  options.images = dir / "nowhere";
  CHECK_ERROR(read_isbi_dataset(dir / "noimage", options), "007.txt: no image 007.png", "nowhere");

  // With two annotators, a file only one of them has.
  write_file(dir / "pair/senior/001.txt", isbi_txt(0));
  write_file(dir / "pair/junior/001.txt", isbi_txt(0));
  write_file(dir / "pair/senior/002.txt", isbi_txt(0));
  write_file(dir / "pair/images/001.png", "image");
  write_file(dir / "pair/images/002.png", "image");
  CHECK_ERROR(read_isbi_dataset(dir / "pair", {}), "senior/002.txt: no matching 002.txt in", "junior");
  fs::rename(dir / "pair/senior/002.txt", dir / "pair/junior/002.txt");
  CHECK_ERROR(read_isbi_dataset(dir / "pair", {}), "junior/002.txt: no matching 002.txt in", "senior");

  // An error in the second annotator's file names that file.
  fs::remove(dir / "pair/junior/002.txt");
  write_file(dir / "pair/junior/001.txt", with_line(isbi_txt(0), 9, "3;4"));
  CHECK_ERROR(read_isbi_dataset(dir / "pair", {}), "junior/001.txt line 9: expected 'x,y', got '3;4'");

  fs::create_directories(dir / "empty");
  CHECK_ERROR(read_isbi_dataset(dir / "empty", {}), "empty: no ISBI .txt annotation files");
}

TEST_CASE("formats: Aariz landmarks match by symbol, average the annotators and take the machine's spacing") {
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

TEST_CASE("formats: malformed Aariz files give one-line errors naming the file and field") {
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

TEST_CASE("formats: labelme point shapes give landmarks named by the sorted labels") {
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

TEST_CASE("formats: malformed labelme files give one-line errors naming the file, shape and label") {
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
  // Points within one image size outside the image are accepted (labelme lets one click past the border).
  CHECK(read_labelme_dataset(labelme(labelme_json("b.png", {point("S", -50, 150), point("N", 3, 4)}, 100, 80)))
            .samples.size() == 2);

  fs::create_directories(dir / "empty");
  CHECK_ERROR(read_labelme_dataset(dir / "empty"), "empty: no labelme .json files");
}

// The ISBI 2015 challenge files shared beside the repository. CI always has
// them (CI=true), so there a missing folder is a failure; elsewhere the test
// says loudly that it checked nothing.
static const std::string kSharedIsbi = std::string(HEATMARK_SOURCE_DIR) + "/../shared/data/isbi2015";

TEST_CASE("formats: the shared ISBI 2015 annotations read as expected") {
  if (!fs::exists(kSharedIsbi + "/isbi_txt")) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL("CI=true but the shared data is missing: " << kSharedIsbi);
    MESSAGE("NOT CHECKED: the shared data is missing (" << kSharedIsbi << "); with CI=true this fails");
    return;
  }
  DatasetOptions options;
  options.images = kSharedIsbi + "/fullres";
  options.default_mm_per_px = 0.1;
  const Dataset d = load_dataset(kSharedIsbi + "/isbi_txt", options);
  CHECK(d.format == "isbi");
  CHECK(d.landmark_names.size() == 19);
  REQUIRE(d.samples.size() == 10);
  for (size_t i = 0; i < d.samples.size(); ++i) {
    CHECK(d.samples[i].id == std::to_string(100 + i));
    CHECK(fs::is_regular_file(d.samples[i].image));
    CHECK(d.samples[i].landmarks.size() == 19);
    CHECK(d.samples[i].mm_per_px_x == 0.1);
  }
  CHECK(fs::path(d.samples[0].image).filename() == "100.png");
  // The first point of 100 is the mean of the two annotators' first lines.
  auto first_point = [](const std::string& file) {
    double x = 0, y = 0;
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    REQUIRE(std::sscanf(line.c_str(), "%lf , %lf", &x, &y) == 2);
    return Point{x, y};
  };
  const Point senior = first_point(kSharedIsbi + "/isbi_txt/senior/100.txt");
  const Point junior = first_point(kSharedIsbi + "/isbi_txt/junior/100.txt");
  CHECK(d.samples[0].landmarks[0].x == doctest::Approx((senior.x + junior.x) / 2));
  CHECK(d.samples[0].landmarks[0].y == doctest::Approx((senior.y + junior.y) / 2));
}
