// The ISBI 2015 challenge layout: one NNN.txt per image, 19 lines "x,y" in the
// image file's pixels, optionally followed by 8 lines of class labels (single
// integers, ignored). The .txt files sit in the folder itself, or in annotator
// subfolders senior/ and junior/ (officially 400_senior/ and 400_junior/):
// with both, the ground truth is the mean of the two, file by file.
// Images NNN.{png,bmp,jpg,jpeg} are in options.images, else the first of the
// folders listed in image_folders() that has them.
#include <filesystem>
#include <map>

#include "base/error.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/text.h"

namespace heatmark {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kIsbiNames = {"S (sella)",
                                             "N (nasion)",
                                             "Or (orbitale)",
                                             "Po (porion)",
                                             "A (subspinale)",
                                             "B (supramentale)",
                                             "Pog (pogonion)",
                                             "Me (menton)",
                                             "Gn (gnathion)",
                                             "Go (gonion)",
                                             "L1 (lower incisal incision)",
                                             "U1 (upper incisal incision)",
                                             "UL (upper lip)",
                                             "LL (lower lip)",
                                             "Sn (subnasale)",
                                             "Pog' (soft tissue pogonion)",
                                             "PNS (posterior nasal spine)",
                                             "ANS (anterior nasal spine)",
                                             "Ar (articulare)"};
constexpr size_t kLabelLines = 8;

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The 19 points of one annotation file.
std::vector<Point> read_isbi_txt(const fs::path& path) {
  const std::string file = path.string();
  std::vector<std::string> lines = text_lines(read_text_file(file));
  for (std::string& line : lines) line = trim(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  const size_t K = kIsbiNames.size();
  HM_CHECK(lines.size() == K || lines.size() == K + kLabelLines,
           "{}: expected {} lines 'x,y' (optionally followed by {} class labels), got {} lines", file, K, kLabelLines,
           lines.size());
  std::vector<Point> points;
  for (size_t i = 0; i < K; ++i) {
    const int line = static_cast<int>(i + 1);
    const size_t comma = lines[i].find(',');
    HM_CHECK(comma != std::string::npos && lines[i].find(',', comma + 1) == std::string::npos,
             "{} line {}: expected 'x,y', got '{}'", file, line, printable(lines[i]));
    points.push_back({parse_number(trim(lines[i].substr(0, comma)), file, line, "x"),
                      parse_number(trim(lines[i].substr(comma + 1)), file, line, "y")});
  }
  for (size_t i = K; i < lines.size(); ++i)
    HM_CHECK(lines[i].find_first_not_of("-0123456789") == std::string::npos && !lines[i].empty(),
             "{} line {}: expected a class label (one integer), got '{}'", file, i + 1, printable(lines[i]));
  return points;
}

// The .txt files of one folder, by stem.
std::map<std::string, fs::path> txt_files(const fs::path& folder) {
  std::map<std::string, fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().extension() == ".txt") {
      check_utf8_name(entry.path());  // its stem becomes the sample's id and image name
      files[entry.path().stem().string()] = entry.path();
    }
  return files;
}

// The first of `names` that is a subfolder of `folder`, or "".
fs::path annotator(const fs::path& folder, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (fs::is_directory(folder / name)) return folder / name;
  return {};
}

std::vector<fs::path> image_folders(const fs::path& folder, const DatasetOptions& o) {
  if (!o.images.empty()) return {o.images};
  return {folder,
          folder / "images",
          folder / ".." / "fullres",
          folder / ".." / "images",
          folder / ".." / "RawImage" / "TrainingData",
          folder / ".." / "RawImage" / "Test1Data",
          folder / ".." / "RawImage" / "Test2Data"};
}

}  // namespace

Dataset read_isbi_dataset(const std::string& folder, const DatasetOptions& o) {
  Dataset d;
  d.root = folder;
  d.format = "isbi";
  d.landmark_names = kIsbiNames;

  // The annotators' folders, or the folder itself.
  const fs::path root(folder);
  const fs::path senior = annotator(root, {"senior", "400_senior"});
  const fs::path junior = annotator(root, {"junior", "400_junior"});
  std::map<std::string, fs::path> first = txt_files(!senior.empty() ? senior : !junior.empty() ? junior : root);
  std::map<std::string, fs::path> second;
  if (!senior.empty() && !junior.empty()) {
    second = txt_files(junior);
    for (const auto& [stem, path] : first)
      HM_CHECK(second.count(stem), "{}: no matching {}.txt in {} (with two annotators, each file must be in both)",
               path.string(), stem, junior.string());
    for (const auto& [stem, path] : second)
      HM_CHECK(first.count(stem), "{}: no matching {}.txt in {} (with two annotators, each file must be in both)",
               path.string(), stem, senior.string());
  }
  HM_CHECK(!first.empty(), "{}: no ISBI .txt annotation files (in the folder or in senior/ and junior/)", folder);

  const std::vector<fs::path> folders = image_folders(root, o);
  for (const auto& [stem, path] : first) {  // std::map: sorted by id
    Sample s;
    s.id = stem;
    for (const fs::path& dir : folders) {
      for (const char* ext : {".png", ".bmp", ".jpg", ".jpeg", ".PNG", ".BMP", ".JPG", ".JPEG"})
        if (fs::is_regular_file(dir / (stem + ext))) {
          s.image = (dir / (stem + ext)).lexically_normal().string();
          break;
        }
      if (!s.image.empty()) break;
    }
    if (s.image.empty()) {
      std::string looked;
      for (const fs::path& dir : folders) looked += (looked.empty() ? "" : ", ") + dir.lexically_normal().string();
      fail("{}: no image {}.png (or .bmp, .jpg, .jpeg) in {}", path.string(), stem, looked);
    }
    s.landmarks = read_isbi_txt(path);
    if (!second.empty()) {
      const std::vector<Point> other = read_isbi_txt(second.at(stem));
      for (size_t k = 0; k < s.landmarks.size(); ++k)
        s.landmarks[k] = {(s.landmarks[k].x + other[k].x) / 2, (s.landmarks[k].y + other[k].y) / 2};
    }
    d.samples.push_back(std::move(s));
  }
  return d;
}

}  // namespace heatmark
