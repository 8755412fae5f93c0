// Fuzzes the labelme JSON format (data/formats/labelme.cpp). Each section of
// the input (see fuzz_util.h; up to 3) is one annotation file a.json, b.json,
// c.json in a folder that also holds a.png, b.png and c.png (empty: the
// reader only checks that images exist).
// Rejection is heatmark::Error; anything else is a finding.
#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "data/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = heatmark::fuzz;
  static const auto dir = [] {
    const auto d = fz::fresh_dir("labelme");
    for (const char* image : {"a.png", "b.png", "c.png"}) fz::write_file(d / image, "");
    return d;
  }();
  const auto sections = fz::split_sections(data, size, 3);
  const char* const files[] = {"a.json", "b.json", "c.json"};
  for (size_t i = 0; i < 3; ++i) fz::write_section(dir / files[i], sections, i);
  try {
    heatmark::read_labelme_dataset(dir.string());
  } catch (const heatmark::Error&) {
    // rejected with a message: the expected outcome for bad input
  }
  return 0;
}
