// Faults during training, with real child processes: SIGINT and SIGKILL
// mid-epoch, a damaged checkpoint, a full disk, an unwritable output folder,
// and a device out of memory. Nothing already written may be lost, and a
// resumed run must end exactly where an uninterrupted one does.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "base/error.h"
#include "tensor/safetensors.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"
#include "train/synth.h"

using namespace heatmark;
using heatmark::testing::TempDir;
using heatmark::testing::Child;
using heatmark::testing::ChildOptions;
namespace fs = std::filesystem;

namespace {


std::map<std::string, std::vector<float>> tensors_of(const std::string& path) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  std::map<std::string, std::vector<float>> out;
  for (const std::string& name : f.names()) out[name] = f.tensor(name).to_vector();
  return out;
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A small run: 30 training images, 15 steps per epoch, 3 epochs.
std::vector<std::string> train_args(const std::string& data, const std::string& out, int epochs = 3) {
  return {"train",      "--data",         data, "--input-size", "64", "--batch", "2", "--epochs", std::to_string(epochs),
          "--val-fraction", "0.25", "--seed", "5",  "--out",        out};
}

int run(const std::vector<std::string>& args, std::string* output = nullptr, const ChildOptions& options = {}) {
  Child child(args, options);
  const int status = child.wait();
  if (output) *output = child.output();
  return status;
}

// The run folder's temporary files (an interrupted atomic write would leave one).
int temporary_files(const std::string& folder) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(folder)) n += e.path().filename().string().find(".tmp-") != std::string::npos;
  return n;
}

// One dataset and one uninterrupted reference run, shared by the tests (ctest
// runs each test case in its own process: the run is made only when asked for).
struct Reference {
  TempDir dir;
  std::string data = dir / "data", straight = dir / "straight";
  bool ran = false;
  Reference() { synthesize_dataset({data, 40, 64, 2, 9}); }
  const std::string& straight_run() {
    if (!ran) {
      std::string output;
      REQUIRE_MESSAGE(run(train_args(data, straight), &output) == 0, output);
      ran = true;
    }
    return straight;
  }
};

Reference& reference() {
  static Reference r;
  return r;
}

}  // namespace

TEST_CASE("faults: SIGINT mid-epoch saves a checkpoint, exits 130, and the resumed run ends bitwise as an uninterrupted one") {
  Reference& ref = reference();
  TempDir dir;
  const std::string out = dir / "run";
  Child child(train_args(ref.data, out));
  REQUIRE(child.wait_for_output("epoch 1/3 step ", 120));  // the first step is done
  child.signal(SIGINT);
  CHECK(child.wait() == 130);
  INFO(child.output());
  CHECK(child.output().find("stopped by SIGINT after step") != std::string::npos);
  CHECK(child.output().find("heatmark train --resume " + out) != std::string::npos);
  CHECK(fs::exists(out + "/last.safetensors"));
  CHECK(temporary_files(out) == 0);

  std::string resumed;
  REQUIRE_MESSAGE(run({"train", "--resume", out}, &resumed) == 0, resumed);
  CHECK(resumed.find("completed 3 epochs") != std::string::npos);
  CHECK(tensors_of(out + "/last.safetensors") == tensors_of(ref.straight_run() + "/last.safetensors"));
  CHECK(tensors_of(out + "/best.safetensors") == tensors_of(ref.straight_run() + "/best.safetensors"));
}

TEST_CASE("faults: SIGTERM stops the same way, with status 143") {
  Reference& ref = reference();
  TempDir dir;
  Child child(train_args(ref.data, dir / "run"));
  REQUIRE(child.wait_for_output("epoch 1/3 step ", 120));
  child.signal(SIGTERM);
  CHECK(child.wait() == 143);
  CHECK(child.output().find("stopped by SIGTERM") != std::string::npos);
  CHECK(fs::exists(dir / "run/last.safetensors"));
}

TEST_CASE("faults: SIGKILL mid-epoch loses only the steps since the last checkpoint, and resume ends bitwise as uninterrupted") {
  Reference& ref = reference();
  for (const int delay_ms : {0, 150}) {  // right after the epoch's checkpoint, and well into the next epoch
    TempDir dir;
    const std::string out = dir / "run";
    Child child(train_args(ref.data, out));
    REQUIRE(child.wait_for_output("epoch 1/3: loss", 120));  // printed after the epoch's checkpoint
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    child.signal(SIGKILL);
    CHECK(child.wait() == 128 + SIGKILL);
    // What was written is whole: the checkpoints verify against their checksums.
    CHECK_NOTHROW(SafetensorsFile::read(out + "/last.safetensors"));
    CHECK_NOTHROW(SafetensorsFile::read(out + "/best.safetensors"));
    std::string resumed;
    REQUIRE_MESSAGE(run({"train", "--resume", out}, &resumed) == 0, resumed);
    INFO("delay ", delay_ms, " ms: ", resumed);
    CHECK(tensors_of(out + "/last.safetensors") == tensors_of(ref.straight_run() + "/last.safetensors"));
    CHECK(tensors_of(out + "/best.safetensors") == tensors_of(ref.straight_run() + "/best.safetensors"));
  }
}

TEST_CASE("faults: a damaged checkpoint is refused by its checksum, and resume falls back to the previous one") {
  Reference& ref = reference();
  TempDir dir;
  const std::string out = dir / "run";
  fs::copy(ref.straight_run(), out);
  const std::string last = out + "/last.safetensors";
  REQUIRE(fs::exists(out + "/last.previous.safetensors"));
  // One flipped bit in the tensor data.
  std::string bytes = bytes_of(last);
  bytes[bytes.size() - 5] ^= 0x10;
  std::ofstream(last, std::ios::binary | std::ios::trunc) << bytes;

  std::string inspected;
  CHECK(run({"inspect", last}, &inspected) == 1);
  CHECK(inspected.find("fails its checksum") != std::string::npos);
  CHECK(std::count(inspected.begin(), inspected.end(), '\n') == 1);

  std::string resumed;
  REQUIRE_MESSAGE(run({"train", "--resume", out, "--epochs", "4"}, &resumed) == 0, resumed);
  CHECK(resumed.find("falling back to the previous checkpoint") != std::string::npos);
  CHECK(resumed.find("completed 4 epochs") != std::string::npos);
  CHECK(fs::exists(out + "/last.damaged.safetensors"));  // set aside, not deleted
  CHECK_NOTHROW(SafetensorsFile::read(last));
}

TEST_CASE("faults: a full disk or an unwritable folder stops with one line and leaves the earlier checkpoints intact") {
  Reference& ref = reference();
  TempDir dir;
  const std::string out = dir / "run";
  fs::copy(ref.straight_run(), out);
  const std::string last_before = bytes_of(out + "/last.safetensors");
  const std::string best_before = bytes_of(out + "/best.safetensors");
  const std::string previous_before = bytes_of(out + "/last.previous.safetensors");

  // Files may not grow past 64 KiB: every model or checkpoint write fails,
  // as on a full disk (the write returns an error instead of completing).
  ChildOptions full;
  full.file_size_limit = 64 << 10;
  std::string output;
  CHECK(run({"train", "--resume", out, "--epochs", "4"}, &output, full) == 1);
  INFO(output);
  const std::string last_line = output.substr(output.rfind("heatmark: error: "));
  CHECK(last_line.find("cannot write") != std::string::npos);
  CHECK(last_line.find(out) != std::string::npos);
  CHECK(std::count(last_line.begin(), last_line.end(), '\n') == 1);
  CHECK(bytes_of(out + "/last.safetensors") == last_before);
  CHECK(bytes_of(out + "/best.safetensors") == best_before);
  CHECK(bytes_of(out + "/last.previous.safetensors") == previous_before);
  CHECK(temporary_files(out) == 0);

  // A folder that cannot be created (even by root): inside /proc.
  CHECK(run(train_args(ref.data, "/proc/heatmark-test/run"), &output) == 1);
  const std::string error_line = output.substr(output.rfind("heatmark: error: "));
  CHECK(error_line.find("cannot create the run folder /proc/heatmark-test/run") != std::string::npos);
  CHECK(std::count(error_line.begin(), error_line.end(), '\n') == 1);  // the last line, and only one
}

TEST_CASE("faults: running out of device memory names the batch and input size and what to lower") {
  Reference& ref = reference();
  TempDir dir;
  ChildOptions small_gpu;
  small_gpu.environment = {{"HEATMARK_EMU_MEMORY_MB", "24"}};  // the weights and Adam fit; the activations do not
  std::string output;
  CHECK(run({"train", "--data", ref.data, "--input-size", "256", "--batch", "4", "--device", "emu", "--out",
             dir / "run"},
            &output, small_gpu) == 1);
  INFO(output);
  const std::string last_line = output.substr(output.rfind("heatmark: error: "));
  CHECK(last_line.find("out of memory on emu") != std::string::npos);
  CHECK(last_line.find("A batch of 4 at 256x256 does not fit on emu") != std::string::npos);
  CHECK(last_line.find("lower --batch or --input-size") != std::string::npos);
  CHECK(std::count(last_line.begin(), last_line.end(), '\n') == 1);
}
