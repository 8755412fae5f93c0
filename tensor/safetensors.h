// The safetensors format (https://github.com/huggingface/safetensors): an
// 8-byte little-endian header length, a JSON header that gives each tensor's
// dtype, shape and byte range, plus "__metadata__" (string to string), then
// the raw little-endian data.
//
// The reader trusts nothing: header size bounds, JSON structure, known
// dtypes, shapes whose sizes multiply without overflow, byte ranges inside
// the file that match their shapes, and ranges that tile the data with no
// overlap or gap. Any violation is a heatmark::Error naming the file and the
// tensor or field.
//
// heatmark adds two CRC-32s to the metadata (8 hex digits each): one of the
// whole data section ("heatmark.data_crc32") and one of the header's bytes
// ("heatmark.header_crc32", computed with its own value written as
// "00000000"), which covers the metadata (a model's config: its input size,
// its landmarks) as well as every shape and offset. The reader verifies each
// when present, so a damaged or altered model or checkpoint is refused
// instead of loaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace heatmark {

inline constexpr const char* kDataChecksumKey = "heatmark.data_crc32";
inline constexpr const char* kHeaderChecksumKey = "heatmark.header_crc32";

class SafetensorsFile {
 public:
  struct Entry {
    std::string dtype;  // "F32", "F16", "BF16", "F64", "I64", ...
    Shape shape;
    uint64_t begin = 0, end = 0;  // byte range within the data section
  };

  static SafetensorsFile read(const std::string& path);
  // The same checks on a file already in memory; `name` stands for the path in
  // messages and path(). read(path) is parse(read_file(path), path).
  static SafetensorsFile parse(std::string bytes, const std::string& name);

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The metadata value of `key`; throws naming the file and key when missing.
  const std::string& metadata(const std::string& key) const;
  const std::vector<std::string>& names() const { return names_; }  // in header order
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const Entry& entry(const std::string& name) const;

  // The tensor as float32 on the CPU (from F32, F16, BF16 or F64).
  Tensor tensor(const std::string& name) const;

 private:
  std::string path_;
  std::string bytes_;  // the whole file
  uint64_t data_start_ = 0;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> names_;
};

// Writes float32 tensors (from any device) and string metadata atomically,
// with the data and header checksums added to the metadata.
// `before_replace` as in write_file_atomically.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata,
                       const std::function<void()>& before_replace = {});

}  // namespace heatmark
