// Fuzzes the ISBI 2015 txt format (data/formats/isbi.cpp). One section (see
// fuzz_util.h) is the annotation 001.txt; two sections are
//   senior/001.txt %% junior/001.txt
// (two annotators, averaged). The image 001.png (empty: the reader only checks
// that it exists) is in the images folder passed as DatasetOptions::images.
// Rejection is heatmark::Error; anything else is a finding.
#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "data/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = heatmark::fuzz;
  static const auto images = [] {
    const auto d = fz::fresh_dir("isbi_images");
    fz::write_file(d / "001.png", "");
    return d;
  }();
  static const auto dir = fz::fresh_dir("isbi");
  const auto sections = fz::split_sections(data, size, 2);
  if (sections.size() == 1) {
    fz::fs::remove_all(dir / "senior");
    fz::fs::remove_all(dir / "junior");
    fz::write_file(dir / "001.txt", sections[0]);
  } else {
    fz::fs::remove(dir / "001.txt");
    fz::fs::create_directories(dir / "senior");
    fz::fs::create_directories(dir / "junior");
    fz::write_file(dir / "senior" / "001.txt", sections[0]);
    fz::write_file(dir / "junior" / "001.txt", sections[1]);
  }
  heatmark::DatasetOptions options;
  options.format = heatmark::DatasetFormat::Isbi;
  options.images = images.string();
  try {
    heatmark::read_isbi_dataset(dir.string(), options);
  } catch (const heatmark::Error&) {
    // rejected with a message: the expected outcome for bad input
  }
  return 0;
}
