// The Aariz layout, per split (train/, valid/, test/, or the folder itself):
//   Cephalograms/<id>.<png|bmp|jpg|jpeg>
//   Annotations/Cephalometric Landmarks/Senior Orthodontists/<id>.json
//   Annotations/Cephalometric Landmarks/Junior Orthodontists/<id>.json
// Each JSON holds {"landmarks": [{"landmark_id", "title", "symbol", "value": {"x", "y"}}]}.
// Every annotated image is read (unannotated ones are skipped). Landmarks are
// matched by symbol, in the order of the first file read (a senior one where
// there is one). The ground truth is the mean of senior and junior, or the one
// that exists. Spacing (mm per pixel, same in x and y) comes from
// cephalogram_machine_mappings.csv (cephalogram_id,machine,pixel_size,...) in
// the folder (or its parent, for a single split), when present.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/formats/json_number.h"
#include "data/text.h"

namespace heatmark {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kSplits[] = {"train", "valid", "test"};

struct Annotation {
  std::string file;
  std::vector<std::string> symbols;     // in the file's order
  std::map<std::string, Point> points;  // by symbol
};


Annotation read_annotation(const fs::path& path) {
  Annotation a;
  a.file = path.string();
  json j;
  try {
    j = json::parse(read_text_file(a.file));
  } catch (const json::exception& e) {
    fail("{}: not valid JSON: {}", a.file, e.what());
  }
  HM_CHECK(j.is_object() && j.contains("landmarks") && j["landmarks"].is_array(),
           "{}: expected an object with a 'landmarks' array", a.file);
  const json& landmarks = j["landmarks"];
  for (size_t i = 0; i < landmarks.size(); ++i) {
    const std::string field = fmt::format("landmarks[{}]", i);
    const json& l = landmarks[i];
    HM_CHECK(l.is_object() && l.contains("symbol") && l["symbol"].is_string(), "{}: {}.symbol must be a string", a.file,
             field);
    HM_CHECK(l.contains("value") && l["value"].is_object() && l["value"].contains("x") && l["value"].contains("y"),
             "{}: {}.value must be {{\"x\": ..., \"y\": ...}}", a.file, field);
    const std::string symbol = l["symbol"];
    // The symbol is the landmark's name, printed in results and tables: a line break would tear them.
    HM_CHECK(symbol.find_first_of("\r\n") == std::string::npos, "{}: {}.symbol '{}' holds a line break", a.file,
             field, printable(symbol));
    HM_CHECK(!a.points.count(symbol), "{}: symbol '{}' appears twice ({})", a.file, symbol, field);
    a.symbols.push_back(symbol);
    a.points[symbol] = {json_number(l["value"]["x"], a.file, field + ".value.x"),
                        json_number(l["value"]["y"], a.file, field + ".value.y")};
  }
  HM_CHECK(!a.points.empty(), "{}: 'landmarks' is empty", a.file);
  return a;
}

// The file's points in the order of `names`; the symbols must be exactly `names`.
std::vector<Point> ordered(const Annotation& a, const std::vector<std::string>& names, const std::string& first) {
  std::vector<Point> points;
  for (const std::string& name : names) {
    auto p = a.points.find(name);
    HM_CHECK(p != a.points.end(), "{}: missing symbol '{}' (present in {})", a.file, name, first);
    points.push_back(p->second);
  }
  for (const auto& [symbol, p] : a.points)
    HM_CHECK(std::find(names.begin(), names.end(), symbol) != names.end(), "{}: extra symbol '{}' (not in {})", a.file,
             symbol, first);
  return points;
}

// cephalogram_id -> pixel size in mm.
std::map<std::string, double> read_pixel_sizes(const fs::path& csv_path) {
  std::map<std::string, double> sizes;
  const std::string csv = csv_path.string();
  const std::vector<CsvRow> rows = read_csv(csv);
  HM_CHECK(!rows.empty(), "{}: the file is empty", csv);
  const std::vector<std::string>& header = rows[0].fields;
  const size_t id_col = std::find(header.begin(), header.end(), "cephalogram_id") - header.begin();
  const size_t size_col = std::find(header.begin(), header.end(), "pixel_size") - header.begin();
  HM_CHECK(id_col < header.size() && size_col < header.size(),
           "{} line 1: expected a header with the columns cephalogram_id and pixel_size, got {} columns starting "
           "with '{}'",
           csv, header.size(), header[0]);
  for (size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    HM_CHECK(row.fields.size() == header.size(), "{} line {}: expected {} columns, got {}", csv, row.line,
             header.size(), row.fields.size());
    const double size = parse_number(row.fields[size_col], csv, row.line, "pixel_size");
    HM_CHECK(size > 0, "{} line {}: pixel_size must be positive, got {}", csv, row.line, size);
    sizes[row.fields[id_col]] = size;
  }
  return sizes;
}

}  // namespace

Dataset read_aariz_dataset(const std::string& folder, const DatasetOptions& o) {
  Dataset d;
  d.root = folder;
  d.format = "aariz";
  const fs::path root(folder);

  // The split folders to read; a folder holding Cephalograms/ itself is one split.
  std::vector<fs::path> splits;
  const bool single = fs::is_directory(root / "Cephalograms");
  if (single) {
    splits.push_back(root);
  } else if (!o.split.empty()) {
    HM_CHECK(o.split == "train" || o.split == "valid" || o.split == "test",
             "{}: unknown Aariz split '{}' (expected train, valid or test)", folder, o.split);
    HM_CHECK(fs::is_directory(root / o.split / "Cephalograms"), "{}: no split '{}' (no {} folder)", folder, o.split,
             (root / o.split / "Cephalograms").string());
    splits.push_back(root / o.split);
  } else {
    for (const char* split : kSplits)
      if (fs::is_directory(root / split / "Cephalograms")) splits.push_back(root / split);
  }
  HM_CHECK(!splits.empty(), "{}: no Aariz split folders (train/, valid/ or test/ with Cephalograms/)", folder);

  std::map<std::string, double> pixel_sizes;
  for (const fs::path& dir : single ? std::vector<fs::path>{root, root / ".."} : std::vector<fs::path>{root})
    if (fs::exists(dir / "cephalogram_machine_mappings.csv")) {
      pixel_sizes = read_pixel_sizes(dir / "cephalogram_machine_mappings.csv");
      break;
    }

  std::string first;  // the file that set the landmark names
  for (const fs::path& split : splits) {
    const fs::path annotations = split / "Annotations" / "Cephalometric Landmarks";
    const fs::path annotators[2] = {annotations / "Senior Orthodontists", annotations / "Junior Orthodontists"};
    std::set<std::string> ids;  // sorted
    for (const fs::path& dir : annotators)
      if (fs::is_directory(dir))
        for (const auto& entry : fs::directory_iterator(dir))
          if (entry.is_regular_file() && entry.path().extension() == ".json") {
            check_utf8_name(entry.path());  // its stem becomes the sample's id and image name
            ids.insert(entry.path().stem().string());
          }
    HM_CHECK(!ids.empty(), "{}: no annotations (no .json files in '{}' or '{}')", split.string(),
             annotators[0].string(), annotators[1].string());

    for (const std::string& id : ids) {
      std::vector<Annotation> found;
      for (const fs::path& dir : annotators)
        if (fs::exists(dir / (id + ".json"))) found.push_back(read_annotation(dir / (id + ".json")));
      if (d.landmark_names.empty()) {  // the first file read sets the names
        first = found[0].file;
        d.landmark_names = found[0].symbols;
      }
      Sample s;
      s.id = id;
      for (const char* ext : {".png", ".bmp", ".jpg", ".jpeg", ".PNG", ".BMP", ".JPG", ".JPEG"})
        if (fs::is_regular_file(split / "Cephalograms" / (id + ext))) {
          s.image = (split / "Cephalograms" / (id + ext)).string();
          break;
        }
      HM_CHECK(!s.image.empty(), "{}: no image {}.png (or .bmp, .jpg, .jpeg) in {}", found[0].file, id,
               (split / "Cephalograms").string());
      s.landmarks.assign(d.landmark_names.size(), Point{});
      for (const Annotation& a : found) {
        const std::vector<Point> points = ordered(a, d.landmark_names, first);
        for (size_t k = 0; k < points.size(); ++k) {
          s.landmarks[k].x += points[k].x;
          s.landmarks[k].y += points[k].y;
        }
      }
      for (Point& p : s.landmarks) p = {p.x / found.size(), p.y / found.size()};
      auto size = pixel_sizes.find(id);
      if (size != pixel_sizes.end()) s.mm_per_px_x = s.mm_per_px_y = size->second;
      d.samples.push_back(std::move(s));
    }
  }
  return d;
}

}  // namespace heatmark
