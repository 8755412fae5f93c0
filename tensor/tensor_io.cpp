#include "tensor/tensor_io.h"

#include <cstring>
#include <regex>

#include "tensor/atomic_file.h"
#include "tensor/error.h"

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

  std::smatch m;
  HM_CHECK(std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'")), "{}: header has no 'descr'",
           path);
  HM_CHECK(m[1] == "<f4", "{}: dtype '{}' is not supported (only little-endian float32 '<f4')", path,
           m[1].str());
  HM_CHECK(std::regex_search(header, m, std::regex("'fortran_order'\\s*:\\s*(True|False)")),
           "{}: header has no 'fortran_order'", path);
  HM_CHECK(m[1] == "False", "{}: Fortran-ordered arrays are not supported", path);
  HM_CHECK(std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")),
           "{}: header has no 'shape'", path);
  std::vector<int64_t> dims;
  const std::string list = m[1];
  const std::regex number("\\s*(\\d{1,18})\\s*(,|$)");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), number); it != std::sregex_iterator(); ++it)
    dims.push_back(std::stoll((*it)[1]));
  const Shape shape(dims);

  const size_t data_offset = kPreambleSize + header_size;
  const size_t expected = static_cast<size_t>(shape.numel()) * sizeof(float);
  HM_CHECK(bytes.size() - data_offset == expected, "{}: shape {} needs {} data bytes but the file has {}", path,
           shape.str(), expected, bytes.size() - data_offset);
  std::vector<float> values(shape.numel());
  std::memcpy(values.data(), bytes.data() + data_offset, expected);
  return Tensor::from_vector(values, shape);
}

}  // namespace heatmark
