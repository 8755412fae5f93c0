// The labelme layout: every *.json in the folder (not recursive) annotates one
// image,
//   {"shapes": [{"label": "S", "points": [[x, y]], "shape_type": "point"}, ...],
//    "imagePath": "img.png", "imageWidth": W, "imageHeight": H}
// with imagePath relative to the JSON file's folder (embedded imageData is
// ignored; the image file must exist, inside the folder unless
// options.allow_outside_paths). Only point shapes count (a shape without
// shape_type counts when it has one point). The landmark names are the sorted
// labels of all files, and every file must have each label exactly once.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.h"
#include "data/annotation_path.h"
#include "data/dataset.h"
#include "data/formats/json_number.h"
#include "data/text.h"

namespace heatmark {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct LabelmeFile {
  std::string file;
  Sample sample;                        // image and id; landmarks filled once the names are known
  std::map<std::string, Point> points;  // by label
};


LabelmeFile read_labelme_file(const fs::path& path, const DatasetOptions& o) {
  LabelmeFile f;
  f.file = path.string();
  json j;
  try {
    j = json::parse(read_text_file(f.file));
  } catch (const json::exception& e) {
    fail("{}: not valid JSON: {}", f.file, e.what());
  }
  HM_CHECK(j.is_object() && j.contains("shapes") && j["shapes"].is_array(),
           "{}: expected an object with a 'shapes' array", f.file);

  HM_CHECK(j.contains("imagePath") && j["imagePath"].is_string() && !j["imagePath"].get<std::string>().empty(),
           "{}: imagePath must be the image file name (a string)", f.file);
  std::string image_path = j["imagePath"];
  std::replace(image_path.begin(), image_path.end(), '\\', '/');  // labelme on Windows writes "..\\img.png"
  f.sample.image = annotated_path(path.parent_path().string(), image_path, f.file, o.allow_outside_paths);
  std::error_code error;  // a name the OS refuses (too long) is an image that does not exist, not a throw
  HM_CHECK(fs::is_regular_file(f.sample.image, error), "{}: image '{}' does not exist (looked for {})", f.file,
           printable(image_path), printable(f.sample.image));
  f.sample.id = fs::path(image_path).stem().string();

  // The image size, when given, bounds the points (with a margin of one image size).
  double width = 0, height = 0;
  if (j.contains("imageWidth")) width = json_number(j["imageWidth"], f.file, "imageWidth");
  if (j.contains("imageHeight")) height = json_number(j["imageHeight"], f.file, "imageHeight");

  const json& shapes = j["shapes"];
  for (size_t i = 0; i < shapes.size(); ++i) {
    const std::string field = fmt::format("shapes[{}]", i);
    const json& shape = shapes[i];
    HM_CHECK(shape.is_object(), "{}: {} must be an object, got {}", f.file, field, shape.type_name());
    const bool typed = shape.contains("shape_type");
    HM_CHECK(!typed || shape["shape_type"].is_string(), "{}: {}.shape_type must be a string", f.file, field);
    if (typed && shape["shape_type"] != "point") continue;  // rectangles, polygons, ...
    HM_CHECK(shape.contains("points") && shape["points"].is_array(), "{}: {}.points must be [[x, y]]", f.file, field);
    const json& points = shape["points"];
    if (!typed && points.size() != 1) continue;
    HM_CHECK(points.size() == 1 && points[0].is_array() && points[0].size() == 2, "{}: {}.points must be [[x, y]]",
             f.file, field);
    HM_CHECK(shape.contains("label") && shape["label"].is_string(), "{}: {}.label must be a string", f.file, field);
    const std::string label = shape["label"];
    // A landmark name is printed in results and tables: a line break would tear them.
    HM_CHECK(label.find_first_of("\r\n") == std::string::npos, "{}: {}.label '{}' holds a line break", f.file, field,
             printable(label));
    const Point p = {json_number(points[0][0], f.file, field + ".points[0][0]"),
                     json_number(points[0][1], f.file, field + ".points[0][1]")};
    HM_CHECK(width <= 0 || (p.x >= -width && p.x <= 2 * width),
             "{}: label '{}' ({}) has x = {}, far outside the {}-pixel-wide image", f.file, label, field, p.x, width);
    HM_CHECK(height <= 0 || (p.y >= -height && p.y <= 2 * height),
             "{}: label '{}' ({}) has y = {}, far outside the {}-pixel-high image", f.file, label, field, p.y, height);
    HM_CHECK(!f.points.count(label), "{}: label '{}' appears twice ({}); each landmark must be marked once", f.file,
             label, field);
    f.points[label] = p;
  }
  return f;
}

}  // namespace

Dataset read_labelme_dataset(const std::string& folder, const DatasetOptions& o) {
  Dataset d;
  d.root = folder;
  d.format = "labelme";

  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      check_utf8_name(entry.path());
      paths.push_back(entry.path());
    }
  HM_CHECK(!paths.empty(), "{}: no labelme .json files", folder);
  std::sort(paths.begin(), paths.end());

  std::vector<LabelmeFile> files;
  std::map<std::string, std::string> labels;  // label -> a file that has it (sorted by label)
  for (const fs::path& path : paths) {
    files.push_back(read_labelme_file(path, o));
    for (const auto& [label, p] : files.back().points) labels.emplace(label, files.back().file);
  }
  HM_CHECK(!labels.empty(), "{}: no point shapes in the .json files", folder);
  for (const auto& [label, file] : labels) d.landmark_names.push_back(label);

  for (LabelmeFile& f : files) {
    for (const auto& [label, file] : labels) {
      auto p = f.points.find(label);
      HM_CHECK(p != f.points.end(), "{}: no point labelled '{}' (present in {})", f.file, label, file);
      f.sample.landmarks.push_back(p->second);
    }
    d.samples.push_back(std::move(f.sample));
  }
  std::stable_sort(d.samples.begin(), d.samples.end(), [](const Sample& a, const Sample& b) { return a.id < b.id; });
  return d;
}

}  // namespace heatmark
