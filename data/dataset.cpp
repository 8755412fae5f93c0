#include "data/dataset.h"

#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "base/error.h"
#include "data/text.h"

namespace heatmark {

namespace fs = std::filesystem;

DatasetFormat parse_dataset_format(const std::string& text) {
  if (text == "auto") return DatasetFormat::Auto;
  if (text == "folder") return DatasetFormat::Folder;
  if (text == "isbi") return DatasetFormat::Isbi;
  if (text == "aariz") return DatasetFormat::Aariz;
  if (text == "labelme") return DatasetFormat::Labelme;
  fail("unknown dataset format '{}' (expected auto, folder, isbi, aariz or labelme)", text);
}

namespace {

// What the folder looks like it holds.
DatasetFormat detect(const fs::path& p) {
  if (fs::exists(p / "landmarks.csv")) return DatasetFormat::Folder;
  for (const char* split : {"train", "valid", "test"})
    if (fs::is_directory(p / split / "Cephalograms")) return DatasetFormat::Aariz;
  if (fs::is_directory(p / "Cephalograms")) return DatasetFormat::Aariz;
  bool txt = false, json = false;
  for (const fs::path& sub : {p, p / "senior", p / "junior", p / "400_senior", p / "400_junior"}) {
    if (!fs::is_directory(sub)) continue;
    for (const auto& entry : fs::directory_iterator(sub)) {
      if (entry.path().extension() == ".txt") txt = true;
      if (entry.path().extension() == ".json") json = true;
    }
  }
  if (json) return DatasetFormat::Labelme;
  if (txt) return DatasetFormat::Isbi;
  fail("{}: cannot tell the dataset format (no landmarks.csv, Aariz folders, ISBI .txt or labelme .json files); "
       "use --format",
       p.string());
}

// Metrics in mm need every image's spacing (infer/metrics.cpp): when only
// some have one, they are all left out, which must not go unsaid.
std::string missing_spacing(const Dataset& d) {
  std::vector<std::string> missing;
  for (const Sample& s : d.samples)
    if (!s.has_spacing()) {
      const fs::path relative = fs::path(s.image).lexically_relative(d.root);
      missing.push_back(relative.empty() ? s.image : relative.string());
    }
  if (missing.empty() || missing.size() == d.samples.size()) return "";
  std::string names;
  for (size_t i = 0; i < missing.size() && i < 5; ++i) names += (i ? ", " : "") + missing[i];
  if (missing.size() > 5) names += fmt::format(" and {} more", missing.size() - 5);
  return fmt::format("{}: {} of {} images have no pixel spacing ({}), so no metric in mm (MRE, SDR) can be given; "
                     "add theirs or give --mm-per-px",
                     d.root, missing.size(), d.samples.size(), names);
}

}  // namespace

Dataset load_dataset(const std::string& path, const DatasetOptions& options) {
  HM_CHECK(fs::is_directory(path), "dataset folder '{}' does not exist", printable(path));
  // The folders become part of every image path, written later into JSON.
  check_utf8_name(path);
  if (!options.images.empty()) check_utf8_name(options.images);
  const DatasetFormat format = options.format == DatasetFormat::Auto ? detect(path) : options.format;
  Dataset d;
  switch (format) {
    case DatasetFormat::Folder: d = read_folder_dataset(path, options); break;
    case DatasetFormat::Isbi: d = read_isbi_dataset(path, options); break;
    case DatasetFormat::Aariz: d = read_aariz_dataset(path, options); break;
    case DatasetFormat::Labelme: d = read_labelme_dataset(path, options); break;
    case DatasetFormat::Auto: break;
  }
  if (options.default_mm_per_px > 0)
    for (Sample& s : d.samples)
      if (!s.has_spacing()) s.mm_per_px_x = s.mm_per_px_y = options.default_mm_per_px;
  if (const std::string warning = missing_spacing(d); !warning.empty()) d.warnings.push_back(warning);
  std::fflush(stdout);  // in the order they happen
  for (const std::string& w : d.warnings) fmt::print(stderr, "heatmark: warning: {}\n", printable(w));
  return d;
}

void select_landmarks(Dataset& d, const std::string& selection) {
  std::vector<size_t> keep;
  std::stringstream in(selection);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t a = item.find_first_not_of(' '), b = item.find_last_not_of(' ');
    if (a == std::string::npos) continue;
    item = item.substr(a, b - a + 1);
    size_t index = d.landmark_names.size();
    for (size_t k = 0; k < d.landmark_names.size(); ++k)
      if (d.landmark_names[k] == item) index = k;
    // An index: digits, at most 9 of them (a longer number is no index, and cannot overflow).
    if (index == d.landmark_names.size() && item.find_first_not_of("0123456789") == std::string::npos &&
        item.size() <= 9) {
      const size_t number = std::stoul(item);
      if (number >= 1 && number <= d.landmark_names.size()) index = number - 1;
    }
    if (index == d.landmark_names.size()) {
      std::string names;
      for (const std::string& n : d.landmark_names) names += (names.empty() ? "" : ", ") + n;
      fail("--landmarks: '{}' is neither a landmark name nor an index 1-{} of {} (names: {})", item,
           d.landmark_names.size(), d.root, names);
    }
    keep.push_back(index);
  }
  HM_CHECK(!keep.empty(), "--landmarks: no landmarks selected from '{}'", selection);
  HM_CHECK(std::set<size_t>(keep.begin(), keep.end()).size() == keep.size(), "--landmarks: '{}' names a landmark twice",
           selection);
  std::vector<std::string> names;
  for (size_t k : keep) names.push_back(d.landmark_names[k]);
  d.landmark_names = names;
  for (Sample& s : d.samples) {
    std::vector<Point> points;
    for (size_t k : keep) points.push_back(s.landmarks[k]);
    s.landmarks = points;
  }
}

}  // namespace heatmark
