// Fuzzes the Aariz JSON format (data/formats/aariz.cpp). The input's sections
// (see fuzz_util.h) are, in one split folder with Cephalograms/001.png and
// 002.png (empty: the reader only checks that images exist),
//   Senior/001.json %% Junior/001.json %% Senior/002.json %% cephalogram_machine_mappings.csv
// where an empty or missing section means no such file.
// Rejection is heatmark::Error; anything else is a finding.
#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "data/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = heatmark::fuzz;
  // A subfolder: a single split also looks for the mappings CSV in its parent.
  static const auto dir = [] {
    const auto d = fz::fresh_dir("aariz/split");
    for (const char* annotator : {"Senior Orthodontists", "Junior Orthodontists"})
      fz::fs::create_directories(d / "Annotations" / "Cephalometric Landmarks" / annotator);
    fz::fs::create_directories(d / "Cephalograms");
    for (const char* image : {"001.png", "002.png"}) fz::write_file(d / "Cephalograms" / image, "");
    return d;
  }();
  static const auto annotations = dir / "Annotations" / "Cephalometric Landmarks";
  static const auto senior = annotations / "Senior Orthodontists", junior = annotations / "Junior Orthodontists";
  const auto sections = fz::split_sections(data, size, 4);
  const fz::fs::path files[] = {senior / "001.json", junior / "001.json", senior / "002.json",
                                dir / "cephalogram_machine_mappings.csv"};
  for (size_t i = 0; i < 4; ++i) fz::write_section(files[i], sections, i, /*empty_means_none=*/true);
  try {
    heatmark::read_aariz_dataset(dir.string(), heatmark::DatasetOptions{});
  } catch (const heatmark::Error&) {
    // rejected with a message: the expected outcome for bad input
  }
  return 0;
}
