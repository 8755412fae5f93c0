#include "tensor/safetensors.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "tensor/atomic_file.h"

namespace heatmark {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's limit
constexpr uint64_t kMaxDimension = uint64_t{1} << 40;
// The header is three levels deep (tensor, shape, dimension). Deeper nesting
// is refused while parsing: printing or copying it would recurse past the stack.
constexpr int kMaxHeaderDepth = 16;

size_t dtype_size(const std::string& dtype) {
  static const std::map<std::string, size_t> sizes{{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                                   {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1},
                                                   {"U16", 2}, {"U32", 4}, {"U64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

uint64_t read_u64_le(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      uint32_t m = mantissa;
      do {
        ++e;
        m <<= 1;
      } while (!(m & 0x400));
      bits = sign | ((127 - 15 - e) << 23) | ((m & 0x3ff) << 13);
    }
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::string crc32_hex(const char* data, size_t bytes) {
  const uLong crc = crc32_z(crc32_z(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data), bytes);
  return fmt::format("{:08x}", static_cast<uint32_t>(crc));
}

// The header checksum's entry as the writer puts it in the compact header,
// with its value, and with the placeholder it is computed over.
std::string header_checksum_entry(const std::string& value) {
  return fmt::format("\"{}\":\"{}\"", kHeaderChecksumKey, value);
}
constexpr const char* kHeaderChecksumPlaceholder = "00000000";

}  // namespace

SafetensorsFile SafetensorsFile::read(const std::string& path) { return parse(read_file(path), path); }

SafetensorsFile SafetensorsFile::parse(std::string bytes, const std::string& path) {
  SafetensorsFile file;
  file.path_ = path;
  file.bytes_ = std::move(bytes);
  const std::string& b = file.bytes_;
  HM_CHECK(b.size() >= 8, "{}: too short to be a safetensors file ({} bytes)", path, b.size());
  const uint64_t header_size = read_u64_le(b.data());
  HM_CHECK(header_size <= kMaxHeaderBytes, "{}: header length {} exceeds the {} byte limit", path, header_size,
           kMaxHeaderBytes);
  HM_CHECK(header_size <= b.size() - 8, "{}: header length {} runs past the end of the file ({} bytes)", path,
           header_size, b.size());
  file.data_start_ = 8 + header_size;
  const uint64_t data_size = b.size() - file.data_start_;
  HM_CHECK(header_size >= 2 && b[8] == '{', "{}: the header does not start with a JSON object", path);

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(b.begin() + 8, b.begin() + static_cast<std::ptrdiff_t>(file.data_start_),
                                   [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
                                     HM_CHECK(depth <= kMaxHeaderDepth, "{}: the header nests deeper than {} levels",
                                              path, kMaxHeaderDepth);
                                     return true;
                                   });
  } catch (const nlohmann::json::exception& e) {
    fail("{}: the header is not valid JSON ({})", path, e.what());
  }
  HM_CHECK(header.is_object(), "{}: the header is not a JSON object", path);
  // The header checksum first: an edited header is reported as such, not as
  // whatever inconsistency the edit made.
  const nlohmann::json* header_stored = nullptr;
  if (header.contains("__metadata__") && header["__metadata__"].is_object() &&
      header["__metadata__"].contains(kHeaderChecksumKey))
    header_stored = &header["__metadata__"][kHeaderChecksumKey];
  if (header_stored) {
    HM_CHECK(header_stored->is_string() && header_stored->get<std::string>().size() == 8,
             "{}: the header checksum {} is not 8 hex digits", path, header_stored->dump());
    const std::string stored = header_stored->get<std::string>();
    std::string header_bytes = b.substr(8, header_size);
    const size_t at = header_bytes.find(header_checksum_entry(stored));
    HM_CHECK(at != std::string::npos, "{}: the header checksum {} is not where heatmark writes it: the header was rewritten",
             path, stored);
    header_bytes.replace(at, header_checksum_entry(stored).size(), header_checksum_entry(kHeaderChecksumPlaceholder));
    const std::string computed = crc32_hex(header_bytes.data(), header_bytes.size());
    HM_CHECK(stored == computed,
             "{}: the header (metadata, shapes, offsets) fails its checksum (stored {}, computed {}): the file is damaged "
             "or was modified",
             path, stored, computed);
  }


  std::vector<std::pair<uint64_t, std::string>> ranges;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      HM_CHECK(value.is_object(), "{}: __metadata__ is not an object", path);
      for (const auto& [key, v] : value.items()) {
        HM_CHECK(v.is_string(), "{}: __metadata__ value of '{}' is not a string", path, key);
        file.metadata_[key] = v.get<std::string>();
      }
      continue;
    }
    HM_CHECK(value.is_object(), "{}: tensor '{}' is not described by an object", path, name);
    HM_CHECK(value.contains("dtype") && value["dtype"].is_string(), "{}: tensor '{}' has no dtype", path, name);
    Entry e;
    e.dtype = value["dtype"].get<std::string>();
    const size_t element = dtype_size(e.dtype);
    HM_CHECK(element > 0, "{}: tensor '{}' has unknown dtype '{}'", path, name, e.dtype);

    HM_CHECK(value.contains("shape") && value["shape"].is_array(), "{}: tensor '{}' has no shape", path, name);
    std::vector<int64_t> dims;
    uint64_t bytes = element;
    for (const auto& d : value["shape"]) {
      HM_CHECK(d.is_number_unsigned() && d.get<uint64_t>() <= kMaxDimension,
               "{}: tensor '{}' has an invalid dimension {} in its shape", path, name, d.dump());
      const uint64_t dim = d.get<uint64_t>();
      HM_CHECK(!__builtin_mul_overflow(bytes, dim, &bytes), "{}: tensor '{}': the size of shape {} overflows", path,
               name, value["shape"].dump());
      dims.push_back(static_cast<int64_t>(dim));
    }
    e.shape = Shape(dims);

    const auto& offsets = value.contains("data_offsets") ? value["data_offsets"] : nlohmann::json();
    HM_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                 offsets[1].is_number_unsigned(),
             "{}: tensor '{}' needs data_offsets [begin, end] of unsigned integers", path, name);
    e.begin = offsets[0].get<uint64_t>();
    e.end = offsets[1].get<uint64_t>();
    HM_CHECK(e.begin <= e.end && e.end <= data_size,
             "{}: tensor '{}' data_offsets [{}, {}] fall outside the {} bytes of data", path, name, e.begin, e.end,
             data_size);
    HM_CHECK(e.end - e.begin == bytes, "{}: tensor '{}' of dtype {} and shape {} needs {} bytes but data_offsets span {}",
             path, name, e.dtype, e.shape.str(), bytes, e.end - e.begin);
    ranges.emplace_back(e.begin, name);
    file.entries_[name] = e;
    file.names_.push_back(name);
  }

  // The ranges must tile [0, data_size): sorted, each starting where the previous ended.
  std::sort(ranges.begin(), ranges.end());
  uint64_t expected = 0;
  for (const auto& [begin, name] : ranges) {
    HM_CHECK(begin == expected, "{}: tensor '{}' starts at byte {} of the data, expected {} (overlap or gap)", path,
             name, begin, expected);
    expected = file.entries_[name].end;
  }
  HM_CHECK(expected == data_size, "{}: the tensors cover {} of the {} data bytes", path, expected, data_size);
  const auto stored = file.metadata_.find(kDataChecksumKey);
  if (stored != file.metadata_.end()) {
    const std::string computed = crc32_hex(b.data() + file.data_start_, data_size);
    HM_CHECK(stored->second == computed,
             "{}: the tensor data fails its checksum (stored {}, computed {}): the file is damaged or was modified",
             path, stored->second, computed);
  }
  return file;
}

const std::string& SafetensorsFile::metadata(const std::string& key) const {
  auto it = metadata_.find(key);
  HM_CHECK(it != metadata_.end(), "{}: missing metadata '{}'", path_, key);
  return it->second;
}

const SafetensorsFile::Entry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  HM_CHECK(it != entries_.end(), "{}: no tensor named '{}'", path_, name);
  return it->second;
}

Tensor SafetensorsFile::tensor(const std::string& name) const {
  const Entry& e = entry(name);
  const char* data = bytes_.data() + data_start_ + e.begin;
  const int64_t n = e.shape.numel();
  std::vector<float> values(n);
  if (e.dtype == "F32") {
    if (n) std::memcpy(values.data(), data, n * 4);
  } else if (e.dtype == "F64") {
    for (int64_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, data + 8 * i, 8);
      values[i] = static_cast<float>(d);
    }
  } else if (e.dtype == "F16" || e.dtype == "BF16") {
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, data + 2 * i, 2);
      if (e.dtype == "F16") {
        values[i] = half_to_float(h);
      } else {
        const uint32_t bits = uint32_t{h} << 16;
        std::memcpy(&values[i], &bits, 4);
      }
    }
  } else {
    fail("{}: tensor '{}' has dtype {}, not a floating-point type", path_, name, e.dtype);
  }
  return Tensor::from_vector(values, e.shape);
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata,
                       const std::function<void()>& before_replace) {
  // The data first, for its checksum.
  std::string data;
  for (const auto& [name, t] : tensors) {
    const std::vector<float> values = t.to_vector();
    data.append(reinterpret_cast<const char*>(values.data()), values.size() * 4);
  }
  std::map<std::string, std::string> full_metadata = metadata;
  full_metadata[kDataChecksumKey] = crc32_hex(data.data(), data.size());
  full_metadata[kHeaderChecksumKey] = kHeaderChecksumPlaceholder;  // computed once the header is laid out
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = full_metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    HM_CHECK(name != "__metadata__" && !header.contains(name), "{}: duplicate or reserved tensor name '{}'", path, name);
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * 4;
    header[name] = {{"dtype", "F32"}, {"shape", t.shape().dims()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned
  const size_t at = text.find(header_checksum_entry(kHeaderChecksumPlaceholder));
  HM_CHECK(at != std::string::npos, "{}: the header checksum entry is missing from the header", path);
  text.replace(at, header_checksum_entry(kHeaderChecksumPlaceholder).size(),
               header_checksum_entry(crc32_hex(text.data(), text.size())));
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  out += text;
  out += data;
  write_file_atomically(path, out, before_replace);
}

}  // namespace heatmark
