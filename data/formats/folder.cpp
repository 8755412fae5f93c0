// The folder layout (as in ../shared/data/isbi2015 and what `heatmark synth` writes):
//   landmarks.csv  image,x1,y1,...,xK,yK   (pixel coordinates in that image file)
//   spacing.csv    image,mm_per_px_x,mm_per_px_y   (optional; the header may be left out)
//   landmarks.txt  one landmark name per line (optional)
// Image paths are relative to the folder, and stay inside it unless
// options.allow_outside_paths.
#include <filesystem>
#include <map>

#include "base/error.h"
#include "data/annotation_path.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/text.h"

namespace heatmark {

namespace fs = std::filesystem;

namespace {

// The key an image name is looked up by: "./a.png" and "a.png" are one image.
std::string image_key(const std::string& name) { return fs::path(name).lexically_normal().string(); }

bool is_number(const std::string& text) {
  try {
    parse_number(text, "", 0, "");
    return true;
  } catch (const Error&) {
    return false;
  }
}

// spacing.csv: image name (by image_key) -> mm per pixel in x and y. A first
// row whose spacing columns are numbers is data: a header left out must not
// cost the first image its spacing.
std::map<std::string, std::pair<double, double>> read_spacing(const std::string& path) {
  std::vector<CsvRow> rows = read_csv(path);
  if (!rows.empty() && !(rows[0].fields.size() == 3 && is_number(rows[0].fields[1]) && is_number(rows[0].fields[2]))) {
    HM_CHECK(rows[0].fields.size() == 3, "{} line {}: expected the header image,mm_per_px_x,mm_per_px_y, got {} columns",
             path, rows[0].line, rows[0].fields.size());
    rows.erase(rows.begin());
  }
  std::map<std::string, std::pair<double, double>> spacing;
  std::map<std::string, int> lines;
  for (const CsvRow& row : rows) {
    HM_CHECK(row.fields.size() == 3, "{} line {}: expected 3 columns (image,mm_per_px_x,mm_per_px_y), got {}", path,
             row.line, row.fields.size());
    const double sx = parse_number(row.fields[1], path, row.line, "mm_per_px_x");
    const double sy = parse_number(row.fields[2], path, row.line, "mm_per_px_y");
    HM_CHECK(sx > 0 && sy > 0, "{} line {}: spacing must be positive, got {} x {}", path, row.line, sx, sy);
    const auto [first, added] = lines.emplace(image_key(row.fields[0]), row.line);
    HM_CHECK(added, "{} line {}: image '{}' is listed twice (also on line {})", path, row.line,
             printable(row.fields[0]), first->second);
    spacing[image_key(row.fields[0])] = {sx, sy};
  }
  return spacing;
}

}  // namespace

Dataset read_folder_dataset(const std::string& folder, const DatasetOptions& options) {
  Dataset d;
  d.root = folder;
  d.format = "folder";
  const std::string csv = (fs::path(folder) / "landmarks.csv").string();
  const std::vector<CsvRow> rows = read_csv(csv);
  HM_CHECK(!rows.empty(), "{}: the file is empty", csv);
  const std::vector<std::string>& header = rows[0].fields;
  HM_CHECK(header.empty() || header[0] == "image" || header.size() < 3 || !is_number(header[1]),
           "{} line {}: the header image,x1,y1,...,xK,yK is missing (this line is data)", csv, rows[0].line);
  HM_CHECK(header.size() >= 3 && header.size() % 2 == 1 && header[0] == "image",
           "{} line {}: expected the header image,x1,y1,...,xK,yK, got {} columns starting with '{}'", csv,
           rows[0].line, header.size(), header.empty() ? "" : printable(header[0]));
  const size_t K = (header.size() - 1) / 2;

  // Landmark names: landmarks.txt, else the header's column stems ("x1" -> "1").
  const fs::path names_file = fs::path(folder) / "landmarks.txt";
  if (fs::exists(names_file)) {
    for (const std::string& name : text_lines(read_text_file(names_file.string())))
      if (!name.empty()) d.landmark_names.push_back(name);
    HM_CHECK(d.landmark_names.size() == K, "{}: {} names for the {} landmarks of {}", names_file.string(),
             d.landmark_names.size(), K, csv);
  } else {
    for (size_t k = 0; k < K; ++k) d.landmark_names.push_back(std::to_string(k + 1));
  }

  const std::string spacing_csv = (fs::path(folder) / "spacing.csv").string();
  const auto spacing = fs::exists(spacing_csv) ? read_spacing(spacing_csv)
                                               : std::map<std::string, std::pair<double, double>>{};

  std::map<std::string, int> listed;  // image -> the line that lists it
  for (size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    HM_CHECK(row.fields.size() == header.size(), "{} line {}: expected {} columns, got {}", csv, row.line,
             header.size(), row.fields.size());
    const std::string& name = row.fields[0];
    // CSV can quote a line break into a name, but no image file name has one
    // on purpose, and results that print the name would be torn by it.
    HM_CHECK(name.find_first_of("\r\n") == std::string::npos, "{} line {}: image name '{}' holds a line break", csv,
             row.line, printable(name));
    Sample s;
    s.image = annotated_path(folder, name, fmt::format("{} line {}", csv, row.line), options.allow_outside_paths);
    std::error_code error;  // a name the OS refuses (too long) is an image that does not exist, not a throw
    HM_CHECK(fs::is_regular_file(s.image, error), "{} line {}: image '{}' does not exist", csv, row.line,
             printable(name));
    // A second row for an image is a copy-paste slip: which of its landmarks would be right?
    const auto [first, added] = listed.emplace(image_key(name), row.line);
    HM_CHECK(added, "{} line {}: image '{}' is listed twice (also on line {})", csv, row.line, printable(name),
             first->second);
    s.id = fs::path(name).stem().string();
    for (size_t k = 0; k < K; ++k)
      s.landmarks.push_back({parse_number(row.fields[1 + 2 * k], csv, row.line, header[1 + 2 * k]),
                             parse_number(row.fields[2 + 2 * k], csv, row.line, header[2 + 2 * k])});
    auto sp = spacing.find(image_key(name));
    if (sp != spacing.end()) std::tie(s.mm_per_px_x, s.mm_per_px_y) = sp->second;
    d.samples.push_back(std::move(s));
  }
  HM_CHECK(!d.samples.empty(), "{}: no images listed", csv);
  // Some images without spacing load_dataset reports for every format; a
  // spacing.csv that names none of the images would go unnoticed there.
  bool any = false;
  for (const Sample& s : d.samples) any = any || s.has_spacing();
  if (!spacing.empty() && !any)
    d.warnings.push_back(fmt::format("{}: names none of the {} images of landmarks.csv (one it names is '{}'); "
                                     "no pixel spacing is known",
                                     spacing_csv, d.samples.size(), printable(spacing.begin()->first)));
  return d;
}

}  // namespace heatmark
