// Annotated datasets: images with K landmark coordinates each, read from the
// supported annotation formats through one interface.
//
// Coordinates are in the pixels of the image file they belong to, with the
// corner-origin continuous convention of tensor/cpu/render_gaussian_heatmaps.h (x right, y
// down, the top-left corner of the top-left pixel at (0, 0)).
#pragma once

#include <string>
#include <vector>

namespace heatmark {

struct Point {
  double x = 0, y = 0;
};

struct Sample {
  std::string image;              // path of the image file
  std::string id;                 // subject id: samples sharing it stay in the same split
  std::vector<Point> landmarks;   // K points, in the image file's pixels
  double mm_per_px_x = 0, mm_per_px_y = 0;  // 0 when the spacing is unknown
  bool has_spacing() const { return mm_per_px_x > 0 && mm_per_px_y > 0; }
};

struct Dataset {
  std::string root;                        // where it was read from
  std::string format;                      // "folder", "isbi", "aariz", "labelme"
  std::vector<std::string> landmark_names;  // K names (or "1".."K" when the format has none)
  std::vector<Sample> samples;
  // What a reader found odd but not wrong (some images without a spacing):
  // load_dataset prints each once to stderr as "heatmark: warning: ...".
  std::vector<std::string> warnings;
};

enum class DatasetFormat { Auto, Folder, Isbi, Aariz, Labelme };
DatasetFormat parse_dataset_format(const std::string& text);  // "auto", "folder", "isbi", "aariz", "labelme"

struct DatasetOptions {
  DatasetFormat format = DatasetFormat::Auto;
  std::string images;          // image folder, where the format does not say (ISBI txt)
  std::string split;           // Aariz: "train", "valid", "test", or "" for all
  double default_mm_per_px = 0;  // spacing when the format gives none (ISBI: 0.1)
  // Image paths read from annotation files (landmarks.csv, labelme imagePath)
  // may lead outside the dataset folder (.., absolute, symbolic links);
  // refused by default, since an annotation file must not pick what heatmark opens.
  bool allow_outside_paths = false;
};

// Reads a dataset. Bad annotation files raise a one-line heatmark::Error
// naming the file (and line or field) and what is wrong: a missing image,
// a non-numeric or non-finite coordinate, the wrong number of columns, text
// that is not UTF-8, an image path outside the folder. Text files may start
// with a UTF-8 byte-order mark. Prints the dataset's warnings (and adds one
// when some images have a pixel spacing and others none, which leaves every
// metric in mm out).
Dataset load_dataset(const std::string& path, const DatasetOptions& options = {});

// Keeps only the landmarks named in `selection` (comma-separated names or
// 1-based indices, e.g. "S (sella),N (nasion)" or "1,2"); throws naming an
// unknown entry.
void select_landmarks(Dataset& dataset, const std::string& selection);

// ---- format readers (data/formats/) ---------------------------------------------
// Each throws heatmark::Error as load_dataset does.
Dataset read_folder_dataset(const std::string& folder, const DatasetOptions& o = {});   // landmarks.csv (+ spacing.csv, landmarks.txt)
Dataset read_isbi_dataset(const std::string& folder, const DatasetOptions& o);          // per-image ISBI 2015 txt files
Dataset read_aariz_dataset(const std::string& folder, const DatasetOptions& o);         // Aariz JSON layout
Dataset read_labelme_dataset(const std::string& folder, const DatasetOptions& o = {});  // labelme JSON point shapes

}  // namespace heatmark
