// Careless use through the real command line, in child processes: two
// trainers into one run folder, resuming with other data, a changed split or
// config, outputs pointed at inputs, existing files and colliding names.
// Nothing is overwritten or mixed up, and every refusal is one line.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "data/csv.h"
#include "tensor/atomic_file.h"
#include "tensor/safetensors.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"
#include "train/synth.h"

using namespace heatmark;
using heatmark::testing::Child;
using heatmark::testing::CliResult;
using heatmark::testing::run_cli;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSmallRun = " --input-size 64 --batch 2 --threads 1 --augment false";

// The one error line of a refused command, which must be its last line and its only "heatmark: " line.
std::string refusal(const CliResult& r) {
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') >= 1);
  std::istringstream in(r.output);
  std::string line, last;
  int lines = 0;
  while (std::getline(in, line))
    if (line.starts_with("heatmark: ")) {
      ++lines;
      last = line;
    }
  CHECK(lines == 1);
  CHECK(last.starts_with("heatmark: error: "));
  return last;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A 10-image synthetic dataset in dir/data and a small run on it in dir/run, ended by `until`.
void train_small_run(const TempDir& dir, uint64_t seed, const std::string& until = " --epochs 1") {
  synthesize_dataset({dir / "data", 10, 64, 2, seed});
  const CliResult trained = run_cli("train --data " + dir / "data" + " --out " + dir / "run" + kSmallRun + until);
  INFO(trained.output);
  REQUIRE(trained.status == 0);
}

int64_t checkpoint_step(const std::string& path) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  return nlohmann::json::parse(f.metadata("heatmark.train_state")).at("step").get<int64_t>();
}

}  // namespace

TEST_CASE("careless use: a second trainer into a run folder in use is refused, and a killed one's lock is released") {
  TempDir dir;
  synthesize_dataset({dir / "data", 10, 64, 2, 3});
  const std::string run = dir / "run";
  Child first({"train", "--data", dir / "data", "--out", run, "--input-size", "64", "--batch", "2", "--threads", "1",
               "--epochs", "1000"});
  // Past its first epoch the run has a config and a checkpoint, and holds the folder.
  REQUIRE_MESSAGE(first.wait_for_output("epoch 1/1000: ", 300), first.output());
  const std::string config = read_file(run + "/config.json");

  const std::string again = refusal(run_cli("train --data " + dir / "data" + " --out " + run + kSmallRun + " --epochs 2"));
  CHECK(contains(again, "run folder " + run + " is in use by another heatmark train (process "));
  const std::string forced =
      refusal(run_cli("train --data " + dir / "data" + " --out " + run + kSmallRun + " --epochs 2 --force"));
  CHECK(contains(forced, "is in use by another heatmark train"));
  const std::string resumed = refusal(run_cli("train --resume " + run + " --epochs 2"));
  CHECK(contains(resumed, "is in use by another heatmark train"));
  CHECK(read_file(run + "/config.json") == config);  // the first run's, untouched

  // A crash (SIGKILL: no handler runs) releases the folder: the run resumes from its checkpoint.
  first.signal(SIGKILL);
  CHECK(first.wait() == 128 + SIGKILL);
  const CliResult continued = run_cli("train --resume " + run + " --epochs 2");
  INFO(continued.output);
  CHECK(continued.status == 0);
  CHECK(contains(continued.output, "resuming " + run + "/last.safetensors"));
  CHECK(contains(continued.output, "completed 2 epochs"));
}

TEST_CASE("careless use: --resume refuses another split, config or dataset, naming each difference, unless accepted") {
  TempDir dir;
  train_small_run(dir, 4);
  const std::string run = dir / "run";
  const std::string checkpoint = read_file(run + "/last.safetensors");

  // config.json edited: another validation fraction moves images between the sets, another lr changes the run.
  nlohmann::json config = nlohmann::json::parse(read_file(run + "/config.json"));
  const std::string original_config = config.dump(2) + "\n";
  config["val_fraction"] = 0.5;
  config["lr"] = 0.01;
  write_file_atomically(run + "/config.json", config.dump(2) + "\n");
  const std::string changed = refusal(run_cli("train --resume " + run + " --epochs 2"));
  CHECK(contains(changed, "--resume " + run + ": " + run + "/last.safetensors differs from this session: "));
  CHECK(contains(changed, "config: lr 0.001 -> 0.01"));
  CHECK(contains(changed, "config: val_fraction 0.2 -> 0.5"));
  CHECK(contains(changed, "training image(s) of the checkpoint would be validated on"));
  CHECK(contains(changed, "give --accept-mismatch"));
  CHECK(read_file(run + "/last.safetensors") == checkpoint);

  // --config on resume is refused, not ignored.
  write_file_atomically(dir / "other.json", "{\"lr\": 0.5}\n");
  CHECK(contains(refusal(run_cli("train --resume " + run + " --config " + dir / "other.json")),
                 "cannot be combined with --resume"));

  // The dataset replaced by another of the same size: its annotations differ.
  write_file_atomically(run + "/config.json", original_config);
  SynthOptions other{dir / "data", 10, 64, 2, 99};
  other.force = true;
  synthesize_dataset(other);
  const std::string replaced = refusal(run_cli("train --resume " + run + " --epochs 2"));
  CHECK(contains(replaced, "the annotations or image files changed (data fingerprint "));
  CHECK(read_file(run + "/last.safetensors") == checkpoint);

  // Accepted explicitly: it says so and goes on.
  const CliResult accepted = run_cli("train --resume " + run + " --epochs 2 --accept-mismatch");
  INFO(accepted.output);
  CHECK(accepted.status == 0);
  CHECK(contains(accepted.output, "warning: resuming despite differences"));
  CHECK(contains(accepted.output, "completed 2 epochs"));
}

TEST_CASE("careless use: --max-steps counts the whole run's steps across resumes") {
  TempDir dir;
  train_small_run(dir, 5, " --max-steps 2");
  const std::string run = dir / "run";
  CHECK(checkpoint_step(run + "/last.safetensors") == 2);
  const CliResult again = run_cli("train --resume " + run + " --max-steps 2");
  INFO(again.output);
  CHECK(again.status == 0);
  CHECK(contains(again.output, "reached --max-steps 2"));
  CHECK(checkpoint_step(run + "/last.safetensors") == 2);
  REQUIRE(run_cli("train --resume " + run + " --max-steps 3").status == 0);
  CHECK(checkpoint_step(run + "/last.safetensors") == 3);
}

TEST_CASE("careless use: predict never writes over its model or images, and overlay names never collide") {
  TempDir dir;
  train_small_run(dir, 6);
  const std::string model = dir / "model.json";  // a model file may have any name
  fs::copy_file(dir / "run/best.safetensors", model);
  const std::string model_bytes = read_file(model);
  const std::string image = dir / "data/images/0001.png", image_bytes = read_file(image);

  CHECK(contains(refusal(run_cli("predict --model " + model + " --out " + model + " " + image)),
                 "--out " + model + " would replace the model (--model) " + model));
  CHECK(contains(refusal(run_cli("predict --model " + model + " --out " + dir / "victim.png " + image)),
                 "unknown output format '.png' (use .json or .csv)"));
  CHECK(contains(refusal(run_cli("predict --model " + model + " --overlay " + dir / "data/images " + image)),
                 "--overlay " + dir / "data/images is not empty"));
  CHECK(contains(refusal(run_cli("predict --model " + model + " --overlay " + dir / "data/images --force " + image)),
                 "would replace the input image " + image));
  CHECK(read_file(model) == model_bytes);
  CHECK(read_file(image) == image_bytes);
  CHECK_FALSE(fs::exists(dir / "victim.png"));

  // The extension in any case picks the format; an existing output needs --force.
  REQUIRE(run_cli("predict --model " + model + " --out " + dir / "P.CSV " + image).status == 0);
  CHECK(read_file(dir / "P.CSV").starts_with("image,landmark,name,x,y,confidence\n"));
  CHECK(contains(refusal(run_cli("predict --model " + model + " --out " + dir / "P.CSV " + image)), "already exists"));
  CHECK(run_cli("predict --model " + model + " --out " + dir / "P.CSV --force " + image).status == 0);

  // Two images with one stem in two folders: two overlays, each named in the JSON.
  fs::create_directories(dir / "d1");
  fs::create_directories(dir / "d2");
  fs::copy_file(image, dir / "d1/x.png");
  fs::copy_file(dir / "data/images/0002.png", dir / "d2/x.png");
  const CliResult both = run_cli("predict --model " + model + " --overlay " + dir / "overlays --out " + dir / "p.json " +
                                 dir / "d1/x.png " + dir / "d2/x.png");
  INFO(both.output);
  REQUIRE(both.status == 0);
  CHECK(fs::exists(dir / "overlays/d1-x.png"));
  CHECK(fs::exists(dir / "overlays/d2-x.png"));
  const nlohmann::json results = nlohmann::json::parse(read_file(dir / "p.json"));
  CHECK(results["images"][0]["overlay"] == dir / "overlays/d1-x.png");
  CHECK(results["images"][1]["overlay"] == dir / "overlays/d2-x.png");
}

TEST_CASE("careless use: synth and train never replace a dataset without --force, nor a run folder over its data") {
  TempDir dir;
  synthesize_dataset({dir / "data", 6, 64, 2, 7});
  const std::string csv = read_file(dir / "data/landmarks.csv");
  CHECK(contains(refusal(run_cli("synth --out " + dir / "data --count 2")), "synth: --out " + dir / "data is not empty"));
  CHECK(read_file(dir / "data/landmarks.csv") == csv);
  CHECK(contains(refusal(run_cli("train --data " + dir / "data --out " + dir / "data --force" + kSmallRun)),
                 "is or holds the dataset (--data)"));
  CHECK(contains(refusal(run_cli("train --data " + dir / "data --out " + dir.path.string() + " --force" + kSmallRun)),
                 "is or holds the dataset (--data)"));
  CHECK(read_file(dir / "data/landmarks.csv") == csv);
  CHECK_FALSE(fs::exists(dir / "data/train.lock"));
  CHECK(run_cli("synth --out " + dir / "data --count 2 --force").status == 0);
  CHECK(read_file(dir / "data/landmarks.csv") != csv);
}

TEST_CASE("careless use: eval's errors name eval's own flags") {
  TempDir dir;
  train_small_run(dir, 8);
  // A dataset whose landmarks are named otherwise than the model's.
  fs::copy(dir / "data", dir / "renamed", fs::copy_options::recursive);
  write_file_atomically(dir / "renamed/landmarks.txt", "A\nB\n");
  const std::string renamed =
      refusal(run_cli("eval --model " + dir / "run/best.safetensors --data " + dir / "renamed"));
  CHECK(contains(renamed, "eval: the model " + dir / "run/best.safetensors finds landmark '"));
  CHECK(contains(renamed, "which the dataset " + dir / "renamed does not have (it has: A, B)"));
  CHECK_FALSE(contains(renamed, "--landmarks"));
  const std::string not_a_run = refusal(run_cli("eval --model " + dir / "run/best.safetensors --run " + dir / "data"));
  CHECK(contains(not_a_run, "eval --run " + dir / "data: no config.json there"));
  CHECK_FALSE(contains(not_a_run, "--resume"));
}

TEST_CASE("careless use: names with commas and quotes survive CSV, and a path that is not UTF-8 is refused up front") {
  TempDir dir;
  train_small_run(dir, 9);
  const std::string model = dir / "run/best.safetensors";
  // An image whose name needs quoting: predict's CSV reads back as written (RFC 4180).
  fs::create_directories(dir / "in");  // passed as a folder: the shell never sees the name
  fs::copy_file(dir / "data/images/0001.png", dir / "in/odd, \"name\".png");
  const CliResult csv = run_cli("predict --model " + model + " --out " + dir / "p.csv " + dir / "in");
  INFO(csv.output);
  REQUIRE(csv.status == 0);
  const std::vector<CsvRow> rows = read_csv(dir / "p.csv");
  REQUIRE(rows.size() == 3);  // the header and one row per landmark
  CHECK(rows[1].fields.size() == 6);
  CHECK(rows[1].fields[0] == dir / "in/odd, \"name\".png");

  // Latin-1 bytes in a path: refused before any work, the byte printed escaped, exit 1 (never an internal error).
  const std::string latin1 = dir / "caf\xe9";
  const std::string out = refusal(run_cli("train --data " + dir / "data" + " --out " + latin1 + kSmallRun + " --epochs 1"));
  CHECK(contains(out, "train: out '" + dir / "caf\\xe9' is not valid UTF-8 (byte 0xe9 at column"));
  CHECK_FALSE(fs::exists(latin1));
  fs::copy_file(dir / "data/images/0002.png", latin1 + ".png");
  const std::string image = refusal(run_cli("predict --model " + model + " --out " + dir / "q.json " + latin1 + ".png"));
  CHECK(contains(image, "the name is not valid UTF-8 (byte 0xe9 at column"));
  CHECK_FALSE(fs::exists(dir / "q.json"));
}

TEST_CASE("careless use: more --threads than the system lets start is one line, before any work") {
  TempDir dir;
#if !defined(__SANITIZE_ADDRESS__)  // AddressSanitizer cannot start under an address-space limit
  // 1000 threads' stacks do not fit in 2 GB of address space: the OpenMP runtime would print its
  // own message and exit; heatmark asks first.
  const std::string command = "ulimit -v 2000000 && " + std::string(HEATMARK_CLI) + " --threads 1000 synth --out " +
                              dir / "limited --count 1 --size 32 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  const std::string line = refusal({WIFEXITED(status) ? WEXITSTATUS(status) : -1, output});
  CHECK(contains(line, "heatmark: error: cannot start 1000 CPU threads: the system refused the "));
  CHECK(contains(line, "lower --threads"));
  CHECK_FALSE(fs::exists(dir / "limited"));
#endif
  // Without a limit as many start as asked (up to the documented 1024), and the command runs.
  const CliResult many = run_cli("--threads 256 synth --out " + dir / "many --count 1 --size 32");
  INFO(many.output);
  CHECK(many.status == 0);
  CHECK(contains(refusal(run_cli("--threads 1025 synth --out " + dir / "too_many --count 1 --size 32")),
                 "--threads: must be in [0, 1024] (0: all cores), got 1025"));
}
