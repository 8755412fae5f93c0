#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "tensor/atomic_file.h"
#include "tensor/tensor_io.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

namespace {

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
}  // namespace

TEST_CASE("tensor io: .npy save and load round-trip exactly") {
  TempDir dir;
  for (Shape shape : {Shape{2, 3, 4, 5}, Shape{7}, Shape{}, Shape{0, 3}}) {
    std::vector<float> values(shape.numel());
    for (size_t i = 0; i < values.size(); ++i) values[i] = 0.1f * i - 3.0f;
    const Tensor t = Tensor::from_vector(values, shape);
    save_npy(t, dir / "t.npy");
    const Tensor back = load_npy(dir / "t.npy");
    CHECK(back.shape() == shape);
    CHECK(back.to_vector() == values);
  }
  // The header is padded so data starts on a 64-byte boundary, as numpy writes it.
  save_npy(Tensor::zeros({3}), dir / "z.npy");
  CHECK((fs::file_size(dir / "z.npy") - 12) % 64 == 0);
}

TEST_CASE("tensor io: malformed .npy files give errors naming the file and problem") {
  TempDir dir;
  save_npy(Tensor::ones({4, 4}), dir / "good.npy");
  const std::string good = read_file(dir / "good.npy");

  write_bytes(dir / "magic.npy", "PK\x03\x04 not numpy");
  CHECK_THROWS_WITH_AS(load_npy(dir / "magic.npy"), doctest::Contains("magic.npy: not a .npy file"), Error);

  write_bytes(dir / "short.npy", good.substr(0, good.size() - 5));
  CHECK_THROWS_WITH_AS(load_npy(dir / "short.npy"), doctest::Contains("needs 64 data bytes but the file has 59"), Error);

  std::string f8 = good;
  f8.replace(f8.find("<f4"), 3, "<f8");
  write_bytes(dir / "f8.npy", f8);
  CHECK_THROWS_WITH_AS(load_npy(dir / "f8.npy"), doctest::Contains("dtype '<f8' is not supported"), Error);

  std::string header_len = good;
  header_len[8] = '\xff';
  header_len[9] = '\x7f';
  write_bytes(dir / "hlen.npy", header_len);
  CHECK_THROWS_WITH_AS(load_npy(dir / "hlen.npy"), doctest::Contains("runs past the end"), Error);

  CHECK_THROWS_WITH_AS(load_npy(dir / "missing.npy"), doctest::Contains("cannot open"), Error);
}

TEST_CASE("tensor io: an atomic write that fails leaves the old file untouched and no temp file") {
  TempDir dir;
  write_file_atomically(dir / "x.bin", "old contents");

  // Simulate a full disk: cap the file size this process may write (works as root too).
  struct rlimit saved {};
  ::getrlimit(RLIMIT_FSIZE, &saved);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  bool threw = false;
  std::string message;
  try {
    write_file_atomically(dir / "x.bin", std::string(1 << 16, 'n'));
  } catch (const Error& e) {
    threw = true;
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);

  CHECK(threw);
  CHECK(message.find("cannot write") != std::string::npos);
  CHECK(read_file(dir / "x.bin") == "old contents");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);

  CHECK_THROWS_WITH_AS(write_file_atomically(dir / "no/such/folder/x.bin", "data"),
                       doctest::Contains("cannot create a temporary file next to"), Error);
}
