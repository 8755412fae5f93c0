// The heatmark command line, run as a child process: outputs, exit codes,
// and one-line errors for bad files.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "hrnet/model_file.h"
#include "tests/timm_state_dict.h"
#include "tests/child_process.h"
#include "tests/temp_dir.h"

using namespace heatmark;
using heatmark::testing::run_cli;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("cli: import-timm makes a model file that inspect describes") {
  TempDir dir;
  HRNetConfig timm = hrnet_preset("hrnet_w18_small");
  timm.use_imagenet_input();
  testing::write_timm_file(dir / "timm.safetensors", timm, 5);
  const testing::CliResult imported = run_cli("import-timm " + dir / "timm.safetensors" + " --model hrnet_w18_small --landmarks 19 --input-size 256 --out " +
                                  dir / "model.safetensors");
  INFO(imported.output);
  CHECK(imported.status == 0);
  CHECK(imported.output.find("shape-mismatched 0") != std::string::npos);
  CHECK(imported.output.find("head.final.weight") != std::string::npos);  // reported as missing (new)

  const testing::CliResult inspected = run_cli("inspect " + dir / "model.safetensors");
  INFO(inspected.output);
  CHECK(inspected.status == 0);
  CHECK(inspected.output.find("hrnet_w18_small with the simple head") != std::string::npos);
  CHECK(inspected.output.find("input: 3 channels, 256x256 (heatmaps 64x64)") != std::string::npos);
  CHECK(inspected.output.find("landmarks: 19") != std::string::npos);
  CHECK(inspected.output.find("widths 16/32/64/128") != std::string::npos);
  CHECK(inspected.output.find("parameters: " + std::to_string(load_model(dir / "model.safetensors")->parameter_count())) !=
        std::string::npos);
}

TEST_CASE("cli: import-timm refuses weights of another width, after printing the report") {
  TempDir dir;
  HRNetConfig w18 = hrnet_preset("hrnet_w18");
  w18.use_imagenet_input();
  testing::write_timm_file(dir / "w18.safetensors", w18, 5);
  const testing::CliResult r = run_cli("import-timm " + dir / "w18.safetensors" + " --model hrnet_w18_small --out " + dir / "m.safetensors");
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("does not fit hrnet_w18_small") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "m.safetensors"));
}

TEST_CASE("cli: a corrupted or truncated model file gives a one-line error and status 1") {
  TempDir dir;
  HRNetConfig c = hrnet_preset("hrnet_w18_small");
  c.input_size = 64;
  HRNet model(c);
  save_model(model, dir / "good.safetensors");
  const std::string bytes = [&] {
    std::ifstream in(dir / "good.safetensors", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::ofstream(dir / "truncated.safetensors", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::string corrupted = bytes;
  corrupted[12] = '!';  // inside the JSON header
  std::ofstream(dir / "corrupted.safetensors", std::ios::binary) << corrupted;
  std::ofstream(dir / "text.safetensors") << "this is not a model";

  for (const char* name : {"truncated.safetensors", "corrupted.safetensors", "text.safetensors", "missing.safetensors"}) {
    const testing::CliResult r = run_cli(std::string("inspect ") + dir / name);
    INFO(name, ": ", r.output);
    CHECK(r.status == 1);
    CHECK(r.output.starts_with("heatmark: error: "));
    CHECK(r.output.find(name) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
  CHECK(run_cli("inspect " + dir / "good.safetensors").status == 0);
}

TEST_CASE("cli: synth and train run end to end and report where the outputs are") {
  TempDir dir;
  const testing::CliResult synth = run_cli("synth --out " + dir / "data" + " --count 12 --size 64 --landmarks 3 --seed 2");
  INFO(synth.output);
  CHECK(synth.status == 0);
  CHECK(fs::exists(dir.path / "data/images/0011.png"));
  const testing::CliResult trained = run_cli("train --data " + dir / "data" + " --input-size 64 --epochs 2 --batch 4 --out " +
                                 dir / "run");
  INFO(trained.output);
  CHECK(trained.status == 0);
  CHECK(trained.output.find("completed 2 epochs") != std::string::npos);
  CHECK(trained.output.find("constant predictor (mean training position)") != std::string::npos);
  CHECK(trained.output.find(dir / "run") != std::string::npos);
  // The effective config is recorded, and a flag overrides a config file.
  std::ofstream(dir / "config.json") << "{\"epochs\": 7, \"input_size\": 64, \"batch\": 3}";
  const testing::CliResult from_file = run_cli("train --config " + dir / "config.json" + " --data " + dir / "data" +
                                   " --epochs 1 --out " + dir / "run2");
  INFO(from_file.output);
  CHECK(from_file.status == 0);
  const nlohmann::json saved = nlohmann::json::parse(std::ifstream(dir / "run2/config.json"));
  CHECK(saved["epochs"] == 1);
  CHECK(saved["batch"] == 3);
  // --resume continues the run; changing its data is refused.
  const testing::CliResult resumed = run_cli("train --resume " + dir / "run" + " --epochs 3");
  INFO(resumed.output);
  CHECK(resumed.status == 0);
  CHECK(resumed.output.find("resuming") != std::string::npos);
  CHECK(resumed.output.find("completed 3 epochs") != std::string::npos);
  const testing::CliResult changed = run_cli("train --resume " + dir / "run" + " --lr 0.1");
  CHECK(changed.status == 1);
  CHECK(changed.output.find("--lr cannot change") != std::string::npos);
}

TEST_CASE("cli: bad training inputs give one-line errors and status 1") {
  TempDir dir;
  for (const std::string& args :
       {std::string("synth --out ") + dir / "s" + " --size 8", std::string("train --data ") + dir / "nope" + " --out " + dir / "r",
        std::string("train --resume ") + dir.path.string(), std::string("train --out ") + dir / "r",
        std::string("train --data ") + dir.path.string() + " --out " + dir / "r" + " --input-size 100"}) {
    const testing::CliResult r = run_cli(args);
    INFO(args, ": ", r.output);
    CHECK(r.status == 1);
    CHECK(r.output.starts_with("heatmark: error: "));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
}
