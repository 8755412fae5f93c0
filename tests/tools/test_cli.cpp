// The heatmark command line, run as a child process: outputs, exit codes,
// one-line errors for bad files, and synth -> train -> predict -> eval end to end.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/image.h"
#include "hrnet/model_file.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/timm_state_dict.h"
#include "train/synth.h"

using namespace heatmark;
using heatmark::testing::run_cli;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

namespace {
double distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }
}  // namespace

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
  // A flag given twice: the last one wins (bench scripts add flags after a default set).
  const testing::CliResult from_file = run_cli("train --config " + dir / "config.json" + " --data " + dir / "data" +
                                   " --epochs 9 --epochs 1 --out " + dir / "run2");
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

TEST_CASE("cli: --refine trains two stages, predict and eval use both unless --stages 1, and time each") {
  TempDir dir;
  REQUIRE(run_cli("synth --out " + dir / "data" + " --count 12 --size 64 --landmarks 2 --seed 4").status == 0);
  const testing::CliResult trained = run_cli("train --data " + dir / "data" + " --input-size 64x96 --epochs 1 " +
                                             "--refine --refine-size 32 --refine-epochs 1 --batch 4 --out " + dir / "run");
  INFO(trained.output);
  REQUIRE(trained.status == 0);
  CHECK(trained.output.find("stage 2 (the patch refiner) in " + dir / "run/refine") != std::string::npos);
  CHECK(trained.output.find("stage 1 alone: validation MRE") != std::string::npos);
  const std::string images = dir / "data/images";
  const testing::CliResult two = run_cli("predict --model " + dir / "run/best.safetensors" + " " + images + " --out " +
                                         dir / "two.json");
  INFO(two.output);
  CHECK(two.status == 0);
  CHECK(two.output.find(", stage 2 (refinement) ") != std::string::npos);
  const testing::CliResult one = run_cli("predict --model " + dir / "run/best.safetensors" + " " + images +
                                         " --stages 1 --out " + dir / "one.json");
  CHECK(one.status == 0);
  CHECK(one.output.find("(--stages 1)") != std::string::npos);
  const testing::CliResult eval = run_cli("eval --model " + dir / "run/best.safetensors" + " --run " + dir / "run");
  CHECK(eval.output.find("(decoder softargmax, both stages)") != std::string::npos);
  const testing::CliResult bad = run_cli("predict --model " + dir / "run/best.safetensors" + " " + images + " --stages 3");
  CHECK(bad.status == 1);
  CHECK(bad.output.find("--stages") != std::string::npos);
}

TEST_CASE("cli: --kernels vendor --device cpu runs oneDNN in train, predict, eval and bench") {
  TempDir dir;
  REQUIRE(run_cli("synth --out " + dir / "data" + " --count 8 --size 64 --landmarks 2 --seed 5").status == 0);
  const std::string vendor = " --device cpu --kernels vendor";
  const testing::CliResult trained =
      run_cli("train --data " + dir / "data" + " --input-size 64 --epochs 1 --batch 4 --out " + dir / "run" + vendor);
  INFO(trained.output);
#if HEATMARK_HAS_ONEDNN
  REQUIRE(trained.status == 0);
  const std::string model = dir / "run/best.safetensors";
  const testing::CliResult predicted = run_cli("predict --model " + model + " " + dir / "data/images" + vendor);
  INFO(predicted.output);
  CHECK(predicted.status == 0);
  CHECK(predicted.output.find("time per image: stage 1") != std::string::npos);
  const testing::CliResult evaluated = run_cli("eval --model " + model + " --run " + dir / "run" + vendor);
  INFO(evaluated.output);
  CHECK(evaluated.status == 0);
  // bench ops on oneDNN itself, then the hand-written kernels against it.
  const testing::CliResult bench_vendor = run_cli("bench ops --op conv2d --repeat 1" + vendor);
  INFO(bench_vendor.output);
  CHECK(bench_vendor.status == 0);
  CHECK(bench_vendor.output.find("backend: cpu vendor") != std::string::npos);
  CHECK(bench_vendor.output.find("vendor kernels: oneDNN 2.") != std::string::npos);
  CHECK(bench_vendor.output.find("fwd/vndr") == std::string::npos);
  const testing::CliResult versus = run_cli("bench ops --model hrnet_w18_small --input-size 64 --repeat 1");
  INFO(versus.output);
  CHECK(versus.status == 0);
  CHECK(versus.output.find("fwd/vndr  bwd/vndr") != std::string::npos);
  CHECK(versus.output.find("hand-written time / oneDNN time, median over the ") != std::string::npos);
  const testing::CliResult train_bench =
      run_cli("bench train --model hrnet_w18_small --input-size 64 --batch 2 --steps 1 --warmup 0" + vendor);
  INFO(train_bench.output);
  CHECK(train_bench.status == 0);
  CHECK(train_bench.output.find(", conv on oneDNN 2.") != std::string::npos);
#else
  // A build without oneDNN's headers refuses, in one line, before making a run folder.
  CHECK(trained.status == 1);
  CHECK(trained.output.find("this build has no oneDNN support: rebuild with libdnnl-dev installed") != std::string::npos);
  CHECK(std::count(trained.output.begin(), trained.output.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(dir / "run"));
#endif
}

TEST_CASE("cli: --kernels vendor on the CPU without the oneDNN library is one error line naming it") {
  // HEATMARK_ONEDNN_LIBRARY names the file to load instead of the usual
  // sonames: a missing one stands for a machine without libdnnl.
  TempDir dir;
  testing::ChildOptions options;
  options.environment = {{"HEATMARK_ONEDNN_LIBRARY", "/nonexistent/libdnnl.so.2"}};
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"train", "--data", dir / "data", "--out", dir / "run", "--device", "cpu", "--kernels", "vendor"},
        std::vector<std::string>{"bench", "ops", "--op", "conv2d", "--kernels", "vendor", "--device", "cpu"}}) {
    testing::Child child(args, options);
    const int status = child.wait();
    const std::string& output = child.output();
    INFO(args[0], ": ", output);
    CHECK(status == 1);
    CHECK(output.starts_with("heatmark: error: "));
    CHECK(std::count(output.begin(), output.end(), '\n') == 1);
#if HEATMARK_HAS_ONEDNN
    CHECK(output.find("oneDNN: cannot load /nonexistent/libdnnl.so.2") != std::string::npos);
    CHECK(output.find("(tried /nonexistent/libdnnl.so.2)") != std::string::npos);
    CHECK(output.find("apt-get install libdnnl-dev") != std::string::npos);
#else
    CHECK(output.find("rebuild with libdnnl-dev installed") != std::string::npos);
#endif
  }
  CHECK_FALSE(fs::exists(dir / "run"));
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

TEST_CASE("cli: synth -> train -> predict new images -> eval agrees with the trainer [slow]") {
  TempDir dir;
  REQUIRE(run_cli("synth --out " + dir / "data" + " --count 48 --size 128 --landmarks 2 --seed 3").status == 0);
  REQUIRE(run_cli("synth --out " + dir / "new" + " --count 6 --size 128 --landmarks 2 --seed 7").status == 0);
  const testing::CliResult trained = run_cli("train --data " + dir / "data" +
                                 " --input-size 128 --epochs 12 --batch 4 --val-fraction 0.25 --seed 1 --out " +
                                 dir / "run");
  INFO(trained.output);
  REQUIRE(trained.status == 0);
  for (const char* file : {"best.safetensors", "last.safetensors", "metrics.csv", "curves.svg", "config.json",
                           "val_predictions.csv"})
    CHECK(fs::exists(dir.path / "run" / file));
  CHECK(load_model(dir / "run/best.safetensors")->config().landmark_names == synth_landmark_names(2));

  // The trainer's best validation MRE, from metrics.csv.
  double best_val_px = 1e30;
  {
    std::ifstream in(dir / "run/metrics.csv");
    std::string line;
    std::getline(in, line);
    REQUIRE(line.find("val_mre_px") != std::string::npos);
    while (std::getline(in, line)) {
      std::vector<std::string> cells;
      std::stringstream row(line);
      for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
      best_val_px = std::min(best_val_px, std::stod(cells.at(7)));
    }
  }

  // predict on held-out generated images: close to the truth, far better than a constant guess.
  const testing::CliResult predicted = run_cli("predict --model " + dir / "run/best.safetensors" + " " + dir / "new/images" +
                                   " --out " + dir / "p.json" + " --overlay " + dir / "overlays");
  INFO(predicted.output);
  REQUIRE(predicted.status == 0);
  CHECK(predicted.output.find(" ms") != std::string::npos);  // the per-image time
  const Dataset train_data = load_dataset(dir / "data");
  const Dataset truth = load_dataset(dir / "new");
  Point mean[2] = {};
  for (const Sample& s : train_data.samples)
    for (int k = 0; k < 2; ++k) mean[k] = {mean[k].x + s.landmarks[k].x / 48, mean[k].y + s.landmarks[k].y / 48};
  const nlohmann::json p = nlohmann::json::parse(std::ifstream(dir / "p.json"));
  REQUIRE(p["images"].size() == 6);
  double model_error = 0, constant_error = 0;
  for (size_t i = 0; i < 6; ++i) {
    const nlohmann::json& image = p["images"][i];
    CHECK(fs::path(image["image"].get<std::string>()).filename() == fs::path(truth.samples[i].image).filename());
    REQUIRE(image["landmarks"].size() == 2);
    for (int k = 0; k < 2; ++k) {
      const nlohmann::json& l = image["landmarks"][k];
      CHECK(l["name"] == synth_landmark_names(2)[k]);
      CHECK(l["confidence"].get<double>() > 0);
      model_error += distance({l["x"].get<double>(), l["y"].get<double>()}, truth.samples[i].landmarks[k]) / 12;
      constant_error += distance(mean[k], truth.samples[i].landmarks[k]) / 12;
    }
    // The overlay exists, decodes, and has the image's size.
    const Image overlay = load_image(dir / ("overlays/" + fs::path(truth.samples[i].image).stem().string() + ".png"));
    CHECK(overlay.width == 128);
    CHECK(overlay.height == 128);
    CHECK(overlay.channels == 3);
  }
  INFO("held-out MRE ", model_error, " px, constant ", constant_error, " px, validation ", best_val_px, " px");
  CHECK(model_error < 0.25 * constant_error);
  CHECK(model_error < 3 * best_val_px + 1.0);

  // eval on the run's validation images reproduces the trainer's figure.
  const testing::CliResult evaluated = run_cli("eval --model " + dir / "run/best.safetensors" + " --run " + dir / "run" +
                                   " --json " + dir / "e.json");
  INFO(evaluated.output);
  REQUIRE(evaluated.status == 0);
  const nlohmann::json e = nlohmann::json::parse(std::ifstream(dir / "e.json"));
  CHECK(e["images"] == 12);
  CHECK(e["mre_px"].get<double>() == doctest::Approx(best_val_px).epsilon(1e-4));
  CHECK(e.contains("mre_mm"));
  CHECK(e["sdr_percent"].contains("2.5mm"));
  CHECK(e["landmarks"].size() == 2);

  // The CSV form, with millimetres.
  const testing::CliResult csv = run_cli("predict --model " + dir / "run/best.safetensors" + " " + dir / "new/images/0000.png" +
                             " --decode dark --mm-per-px 0.1 --out " + dir / "p.csv");
  INFO(csv.output);
  CHECK(csv.status == 0);
  std::ifstream in(dir / "p.csv");
  std::string header, row;
  std::getline(in, header);
  CHECK(header == "image,landmark,name,x,y,confidence,x_mm,y_mm");
  int rows = 0;
  while (std::getline(in, row)) ++rows;
  CHECK(rows == 2);
}

TEST_CASE("cli: predict refuses a non-image, a truncated PNG, and a model of the wrong architecture in one line") {
  TempDir dir;
  HRNetConfig small = hrnet_preset("hrnet_w18_small");
  small.input_size = 64;
  HRNet model(small);
  save_model(model, dir / "model.safetensors");
  // A file that claims another architecture than the tensors it holds.
  HRNetConfig w32 = hrnet_preset("hrnet_w32");
  w32.input_size = 64;
  write_safetensors(dir / "w32.safetensors", state_tensors(model),
                    {{"format", kModelFormat}, {"heatmark.config", to_json(w32).dump()}});
  // A plain safetensors file with no model config (e.g. timm weights).
  write_safetensors(dir / "plain.safetensors", state_tensors(model), {});

  Image im;
  im.width = im.height = 40;
  im.channels = 1;
  im.pixels.assign(1600, 0.5f);
  save_png(im, dir / "good.png");
  std::ifstream good(dir / "good.png", std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(good)), {});
  std::ofstream(dir / "truncated.png", std::ios::binary) << png.substr(0, png.size() / 2);
  std::ofstream(dir / "notes.png") << "these are notes, not an image\n";
  REQUIRE(run_cli("predict --model " + dir / "model.safetensors" + " " + dir / "good.png").status == 0);

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"predict --model " + dir / "model.safetensors" + " " + dir / "notes.png", "notes.png"},
      {"predict --model " + dir / "model.safetensors" + " " + dir / "truncated.png", "truncated.png"},
      {"predict --model " + dir / "w32.safetensors" + " " + dir / "good.png", "w32.safetensors"},
      {"predict --model " + dir / "plain.safetensors" + " " + dir / "good.png", "plain.safetensors"},
      {"predict --model " + dir / "model.safetensors" + " " + dir / "absent.png", "absent.png"},
      {"eval --model " + dir / "model.safetensors" + " --data " + dir / "nowhere", "nowhere"},
  };
  for (const auto& c : cases) {
    const std::string &args = c.first, &named = c.second;  // INFO captures them: not structured bindings (clang 14)
    const testing::CliResult r = run_cli(args);
    INFO(args, ": ", r.output);
    CHECK(r.status == 1);
    CHECK(r.output.starts_with("heatmark: error: "));
    CHECK(r.output.find(named) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
}
