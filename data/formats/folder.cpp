// The folder layout (as in ../shared/data/isbi2015 and what `heatmark synth` writes):
//   landmarks.csv  image,x1,y1,...,xK,yK   (pixel coordinates in that image file)
//   spacing.csv    image,mm_per_px_x,mm_per_px_y   (optional)
//   landmarks.txt  one landmark name per line (optional)
// Image paths are relative to the folder.
#include <filesystem>
#include <fstream>
#include <map>

#include "base/error.h"
#include "data/csv.h"
#include "data/dataset.h"

namespace heatmark {

namespace fs = std::filesystem;

Dataset read_folder_dataset(const std::string& folder) {
  Dataset d;
  d.root = folder;
  d.format = "folder";
  const std::string csv = (fs::path(folder) / "landmarks.csv").string();
  const std::vector<CsvRow> rows = read_csv(csv);
  HM_CHECK(!rows.empty(), "{}: the file is empty", csv);
  const std::vector<std::string>& header = rows[0].fields;
  HM_CHECK(header.size() >= 3 && header.size() % 2 == 1 && header[0] == "image",
           "{} line 1: expected the header image,x1,y1,...,xK,yK, got {} columns starting with '{}'", csv,
           header.size(), header.empty() ? "" : header[0]);
  const size_t K = (header.size() - 1) / 2;

  // Landmark names: landmarks.txt, else the header's column stems ("x1" -> "1").
  const fs::path names_file = fs::path(folder) / "landmarks.txt";
  if (fs::exists(names_file)) {
    std::ifstream in(names_file);
    std::string name;
    while (std::getline(in, name)) {
      if (!name.empty() && name.back() == '\r') name.pop_back();
      if (!name.empty()) d.landmark_names.push_back(name);
    }
    HM_CHECK(d.landmark_names.size() == K, "{}: {} names for the {} landmarks of {}", names_file.string(),
             d.landmark_names.size(), K, csv);
  } else {
    for (size_t k = 0; k < K; ++k) d.landmark_names.push_back(std::to_string(k + 1));
  }

  std::map<std::string, std::pair<double, double>> spacing;
  const std::string spacing_csv = (fs::path(folder) / "spacing.csv").string();
  if (fs::exists(spacing_csv)) {
    const std::vector<CsvRow> srows = read_csv(spacing_csv);
    for (size_t r = 1; r < srows.size(); ++r) {
      const CsvRow& row = srows[r];
      HM_CHECK(row.fields.size() == 3, "{} line {}: expected 3 columns (image,mm_per_px_x,mm_per_px_y), got {}",
               spacing_csv, row.line, row.fields.size());
      const double sx = parse_number(row.fields[1], spacing_csv, row.line, "mm_per_px_x");
      const double sy = parse_number(row.fields[2], spacing_csv, row.line, "mm_per_px_y");
      HM_CHECK(sx > 0 && sy > 0, "{} line {}: spacing must be positive, got {} x {}", spacing_csv, row.line, sx, sy);
      spacing[row.fields[0]] = {sx, sy};
    }
  }

  std::map<std::string, int> listed;  // image -> the line that lists it
  for (size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    HM_CHECK(row.fields.size() == header.size(), "{} line {}: expected {} columns, got {}", csv, row.line,
             header.size(), row.fields.size());
    Sample s;
    s.image = (fs::path(folder) / row.fields[0]).string();
    std::error_code error;  // a name the OS refuses (too long) is an image that does not exist, not a throw
    HM_CHECK(fs::is_regular_file(s.image, error), "{} line {}: image '{}' does not exist", csv, row.line,
             row.fields[0]);
    // A second row for an image is a copy-paste slip: which of its landmarks would be right?
    const auto [first, added] = listed.emplace(fs::path(row.fields[0]).lexically_normal().string(), row.line);
    HM_CHECK(added, "{} line {}: image '{}' is listed twice (also on line {})", csv, row.line, row.fields[0],
             first->second);
    s.id = fs::path(row.fields[0]).stem().string();
    for (size_t k = 0; k < K; ++k)
      s.landmarks.push_back({parse_number(row.fields[1 + 2 * k], csv, row.line, header[1 + 2 * k]),
                             parse_number(row.fields[2 + 2 * k], csv, row.line, header[2 + 2 * k])});
    auto sp = spacing.find(row.fields[0]);
    if (sp != spacing.end()) std::tie(s.mm_per_px_x, s.mm_per_px_y) = sp->second;
    d.samples.push_back(std::move(s));
  }
  HM_CHECK(!d.samples.empty(), "{}: no images listed", csv);
  return d;
}

}  // namespace heatmark
