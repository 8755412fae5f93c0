#include "tensor/tensor_io.h"

#include <cstring>
#include <cctype>

#include "base/error.h"
#include "tensor/atomic_file.h"

namespace heatmark {

namespace {
constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kPreambleSize = 10;  // magic, version (2 bytes), header length (2 bytes)
// "()", "(5,)", "(2, 3)": a Python tuple literal.
std::string python_tuple(const std::vector<int64_t>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + (dims.size() == 1 ? ",)" : ")");
}

// The text after "'key':" in the header dict, spaces skipped.
std::string header_field(const std::string& header, const std::string& key, const std::string& path) {
  const size_t at = header.find("'" + key + "'");
  HM_CHECK(at != std::string::npos, "{}: header has no '{}'", path, key);
  size_t pos = header.find(':', at);
  HM_CHECK(pos != std::string::npos, "{}: header field '{}' has no value", path, key);
  pos = header.find_first_not_of(' ', pos + 1);
  return pos == std::string::npos ? "" : header.substr(pos);
}

// "(2, 3)", "(5,)" or "()" at the start of `text` -> dimensions.
std::vector<int64_t> parse_shape(const std::string& text, const std::string& path) {
  HM_CHECK(!text.empty() && text[0] == '(', "{}: header field 'shape' is not a tuple", path);
  const size_t close = text.find(')');
  HM_CHECK(close != std::string::npos, "{}: header field 'shape' is not closed", path);
  std::vector<int64_t> dims;
  size_t pos = 1;
  while (pos < close) {
    pos = text.find_first_not_of(' ', pos);
    if (pos >= close) break;
    size_t end = pos;
    while (end < close && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    HM_CHECK(end > pos && end - pos <= 18, "{}: bad dimension in shape {}", path, text.substr(0, close + 1));
    dims.push_back(std::stoll(text.substr(pos, end - pos)));
    pos = text.find_first_not_of(' ', end);
    if (pos < close) {
      HM_CHECK(text[pos] == ',', "{}: bad shape {}", path, text.substr(0, close + 1));
      ++pos;
    }
  }
  return dims;
}

}  // namespace

void save_npy(const Tensor& t, const std::string& path) {
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + python_tuple(t.shape().dims()) + ", }";
  // Pad with spaces so that data starts on a 64-byte boundary; end with '\n'.
  const size_t total = kPreambleSize + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::string bytes(kMagic, kMagicSize);
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  const std::vector<float> values = t.to_vector();
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  write_file_atomically(path, bytes);
}

Tensor load_npy(const std::string& path) {
  const std::string bytes = read_file(path);
  HM_CHECK(bytes.size() >= kPreambleSize && bytes.compare(0, kMagicSize, kMagic, kMagicSize) == 0,
           "{}: not a .npy file (bad magic)", path);
  HM_CHECK(bytes[6] == 1, "{}: unsupported .npy version {} (expected 1.0)", path, static_cast<int>(bytes[6]));
  const size_t header_size = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  HM_CHECK(kPreambleSize + header_size <= bytes.size(), "{}: header length {} runs past the end of the file",
           path, header_size);
  const std::string header = bytes.substr(kPreambleSize, header_size);

  const std::string descr = header_field(header, "descr", path);
  HM_CHECK(descr.size() >= 2 && descr.front() == '\'' && descr.find('\'', 1) != std::string::npos,
           "{}: header field 'descr' is not a string", path);
  const std::string dtype = descr.substr(1, descr.find('\'', 1) - 1);
  HM_CHECK(dtype == "<f4", "{}: dtype '{}' is not supported (only little-endian float32 '<f4')", path, dtype);
  HM_CHECK(header_field(header, "fortran_order", path).starts_with("False"),
           "{}: Fortran-ordered arrays are not supported", path);
  const std::vector<int64_t> dims = parse_shape(header_field(header, "shape", path), path);
  const Shape shape(dims);

  const size_t data_offset = kPreambleSize + header_size;
  const size_t expected = static_cast<size_t>(shape.numel()) * sizeof(float);
  HM_CHECK(bytes.size() - data_offset == expected, "{}: shape {} needs {} data bytes but the file has {}", path,
           shape.str(), expected, bytes.size() - data_offset);
  std::vector<float> values(shape.numel());
  if (expected > 0) std::memcpy(values.data(), bytes.data() + data_offset, expected);
  return Tensor::from_vector(values, shape);
}

}  // namespace heatmark
