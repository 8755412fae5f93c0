// Fuzzes the folder dataset format (data/formats/folder.cpp) and the CSV
// reader under it (data/csv.cpp). The input's sections (see fuzz_util.h) are
//   landmarks.csv [%% spacing.csv [%% landmarks.txt]]
// in a folder that also holds the empty image files a.png, b.png and 001.bmp
// (the reader checks only that images exist; it does not decode them).
// Rejection is heatmark::Error; anything else is a finding.
#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "data/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = heatmark::fuzz;
  static const auto dir = [] {
    const auto d = fz::fresh_dir("folder");
    for (const char* image : {"a.png", "b.png", "001.bmp"}) fz::write_file(d / image, "");
    return d;
  }();
  const auto sections = fz::split_sections(data, size, 3);
  const char* const files[] = {"landmarks.csv", "spacing.csv", "landmarks.txt"};
  for (size_t i = 0; i < 3; ++i) fz::write_section(dir / files[i], sections, i);
  try {
    heatmark::read_folder_dataset(dir.string());
  } catch (const heatmark::Error&) {
    // rejected with a message: the expected outcome for bad input
  }
  return 0;
}
