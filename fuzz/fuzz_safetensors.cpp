// Fuzzes the safetensors reader (tensor/safetensors.cpp) from memory: the
// header length, the JSON header (dtypes, shapes, data_offsets, __metadata__),
// the tiling of the data section and the checksum; then the float conversion
// of every tensor the reader accepted.
// Rejection is heatmark::Error; anything else (crash, sanitizer report,
// another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "tensor/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using heatmark::SafetensorsFile;
  try {
    const SafetensorsFile file =
        SafetensorsFile::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    for (const std::string& name : file.names()) {
      try {
        file.tensor(name);
      } catch (const heatmark::Error&) {
        // integer dtypes are refused here, by design
      }
    }
  } catch (const heatmark::Error&) {
    // rejected with a message: the expected outcome for bad input
  }
  return 0;
}
