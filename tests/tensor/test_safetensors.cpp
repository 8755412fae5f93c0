// The safetensors reader against malformed files: each gives a one-line
// error naming the file and the problem, never a crash.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "tensor/atomic_file.h"
#include "tensor/safetensors.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// A file from a header text and data bytes.
std::string file_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string error_of(const std::string& path) {
  try {
    SafetensorsFile::read(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("safetensors: write -> read round-trips tensors and metadata") {
  TempDir dir;
  const Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}), b = Tensor::scalar(-7);
  write_safetensors(dir / "t.safetensors", {{"a", a}, {"b", b}}, {{"note", "hello"}});
  const SafetensorsFile f = SafetensorsFile::read(dir / "t.safetensors");
  CHECK(f.names() == std::vector<std::string>{"a", "b"});
  CHECK(f.tensor("a").to_vector() == a.to_vector());
  CHECK(f.tensor("a").shape() == Shape{2, 3});
  CHECK(f.tensor("b").item() == -7.0f);
  CHECK(f.metadata("note") == "hello");
  CHECK_THROWS_WITH_AS(f.metadata("missing"), doctest::Contains("missing metadata 'missing'"), Error);
}

TEST_CASE("safetensors: F16 and BF16 tensors are converted to float32") {
  TempDir dir;
  // F16 1.0 = 0x3c00, -2.0 = 0xc000, 2^-24 (smallest subnormal) = 0x0001; BF16 1.5 = 0x3fc0.
  const std::string f16("\x00\x3c\x00\xc0\x01\x00", 6), bf16("\xc0\x3f", 2);
  write_file_atomically(dir / "h.safetensors",
                        file_bytes(R"({"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]}})",
                                   f16 + bf16));
  const SafetensorsFile f = SafetensorsFile::read(dir / "h.safetensors");
  CHECK(f.tensor("h").to_vector() == std::vector<float>{1.0f, -2.0f, 5.9604645e-08f});
  CHECK(f.tensor("b").item() == 1.5f);
}

TEST_CASE("safetensors: malformed files give one-line errors naming the file and the problem") {
  TempDir dir;
  const std::string ok_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data(8, '\0');
  struct Case {
    const char* what;
    std::string bytes;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"empty", "", "too short to be a safetensors file (0 bytes)"},
      {"header past the end", file_bytes(ok_header, data).substr(0, 20), "runs past the end of the file"},
      {"huge header length", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "exceeds the"},
      {"not JSON", file_bytes("{not json", ""), "the header is not valid JSON"},
      {"not an object", file_bytes("[1, 2]     ", ""), "does not start with a JSON object"},
      {"metadata not strings", file_bytes(R"({"__metadata__":{"a":1}})", ""), "__metadata__ value of 'a' is not a string"},
      {"unknown dtype", file_bytes(R"({"w":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}})", "ab"), "unknown dtype 'F8'"},
      {"negative dimension", file_bytes(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data), "invalid dimension -2"},
      {"overflowing shape",
       file_bytes(R"({"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}})", data),
       "overflows"},
      {"offsets past the data", file_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", data),
       "fall outside the 8 bytes of data"},
      {"size mismatch", file_bytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data), "needs 12 bytes"},
      {"overlap",
       file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data),
       "overlap or gap"},
      {"gap", file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data), "starts at byte 4"},
      {"trailing data", file_bytes(ok_header, data + "xxxx"), "cover 8 of the 12 data bytes"},
      {"missing offsets", file_bytes(R"({"w":{"dtype":"F32","shape":[2]}})", data), "needs data_offsets"},
      {"reversed offsets", file_bytes(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", data), "fall outside"},
  };
  for (const Case& c : cases) {
    const std::string path = dir / "bad.safetensors";
    write_file_atomically(path, c.bytes);
    const std::string message = error_of(path);
    INFO(c.what, ": ", message);
    CHECK(message.find(c.expected) != std::string::npos);
    CHECK(message.find("bad.safetensors") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(error_of(dir / "no-such.safetensors").find("cannot open") != std::string::npos);
}

TEST_CASE("safetensors: the header checksum refuses an edited metadata value, shape or offset") {
  TempDir dir;
  write_safetensors(dir / "m.safetensors", {{"w", Tensor::from_vector({1, 2, 3, 4}, {4})}},
                    {{"heatmark.config", R"({"input_size":256})"}});
  const std::string original = read_file(dir / "m.safetensors");
  CHECK(SafetensorsFile::read(dir / "m.safetensors").metadata("heatmark.config") == R"({"input_size":256})");
  // Each edit keeps the header's length, so that only the checksum can tell.
  const std::vector<std::pair<std::string, std::string>> edits{
      {R"(\"input_size\":256)", R"(\"input_size\":288)"},  // the model's metadata
      {R"("shape":[4])", R"("shape":[2])"},                // fails a later check too, but the checksum first
  };
  for (const auto& edit : edits) {
    const std::string &from = edit.first, &to = edit.second;  // not a structured binding: INFO captures them
    std::string edited = original;
    const size_t at = edited.find(from);
    REQUIRE(at != std::string::npos);
    edited.replace(at, from.size(), to);
    write_file_atomically(dir / "e.safetensors", edited);
    INFO(from, " -> ", to);
    CHECK(error_of(dir / "e.safetensors").find("the header (metadata, shapes, offsets) fails its checksum") !=
          std::string::npos);
  }
}
