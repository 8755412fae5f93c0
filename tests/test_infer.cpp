// Inference: the three heatmap decoders, the Detector API, and `heatmark
// predict` / `heatmark eval` end to end on generated data.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hrnet/model_file.h"
#include "infer/decode.h"
#include "infer/detector.h"
#include "tensor/cpu/heatmap.h"
#include "tensor/error.h"
#include "train/dataset.h"
#include "train/image.h"
#include "train/synth.h"
#include "tests/child_process.h"
#include "tests/temp_dir.h"

using namespace heatmark;
using heatmark::testing::run_cli;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// A Gaussian of the training kind centred at (x, y), heatmap pixels.
std::vector<float> gaussian_map(int64_t H, int64_t W, float x, float y, double sigma) {
  std::vector<float> map(H * W), weight(1);
  const float coords[2] = {x, y}, visible = 1;
  cpu::render_gaussian_heatmaps(HeatmapShape{1, 1, H, W}, coords, &visible, sigma, map.data(), weight.data());
  return map;
}

double distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

TEST_CASE("decode: soft-argmax and DARK find a Gaussian's centre to sub-pixel accuracy, argmax to its quarter-pixel grid") {
  const int64_t H = 48, W = 64;
  for (const Point truth : {Point{20.3, 17.8}, Point{40.9, 30.1}, Point{31.5, 24.5}, Point{12.05, 35.7}}) {
    for (const double sigma : {2.0, 3.0}) {
      const std::vector<float> map = gaussian_map(H, W, static_cast<float>(truth.x), static_cast<float>(truth.y), sigma);
      INFO("truth ", truth.x, ", ", truth.y, " sigma ", sigma);
      const Decoded soft = decode_heatmap(map.data(), H, W, Decoder::SoftArgmax, 20.0, sigma);
      const Decoded dark = decode_heatmap(map.data(), H, W, Decoder::Dark, 20.0, sigma);
      const Decoded arg = decode_heatmap(map.data(), H, W, Decoder::Argmax, 20.0, sigma);
      // softmax(beta * map) is sharper than the map itself, which pulls the
      // estimate slightly toward the hottest pixel's centre.
      CHECK(distance(soft.point, truth) < 0.08);
      CHECK(distance(dark.point, truth) < 0.02);
      // argmax: the hottest pixel's centre, a quarter pixel toward the hotter neighbour.
      auto quarter = [](double t) {
        const double centre = std::floor(t) + 0.5;
        return centre + (t > centre ? 0.25 : t < centre ? -0.25 : 0.0);
      };
      CHECK(arg.point.x == doctest::Approx(quarter(truth.x)).epsilon(1e-9));
      CHECK(arg.point.y == doctest::Approx(quarter(truth.y)).epsilon(1e-9));
      // The confidence is the peak: near 1 for a target-like map.
      CHECK(soft.confidence == *std::max_element(map.begin(), map.end()));
      CHECK(soft.confidence > 0.85);
    }
  }
}

TEST_CASE("decode: DARK stays sane at the border and on a flat map, and unknown decoders are refused") {
  const int64_t H = 32, W = 32;
  const std::vector<float> corner = gaussian_map(H, W, 0.7f, 31.2f, 2.0);
  const Decoded d = decode_heatmap(corner.data(), H, W, Decoder::Dark, 20.0, 2.0);
  CHECK(distance(d.point, {0.7, 31.2}) < 0.5);  // falls back to the argmax rule near the edge
  const std::vector<float> flat(H * W, 0.0f);
  const Decoded f = decode_heatmap(flat.data(), H, W, Decoder::Dark, 20.0, 2.0);
  CHECK(f.confidence == 0.0);
  CHECK(std::isfinite(f.point.x));
  CHECK(std::isfinite(f.point.y));
  // A flat map has no preferred place: soft-argmax gives the centre.
  const Decoded s = decode_heatmap(flat.data(), H, W, Decoder::SoftArgmax, 20.0, 2.0);
  CHECK(s.point.x == doctest::Approx(16.0));
  CHECK(s.point.y == doctest::Approx(16.0));
  CHECK_THROWS_WITH_AS(parse_decoder("mean"), doctest::Contains("unknown decoder 'mean'"), Error);
  for (const Decoder dec : {Decoder::SoftArgmax, Decoder::Argmax, Decoder::Dark}) CHECK(parse_decoder(decoder_name(dec)) == dec);
}

TEST_CASE("detector: a batch gives the same landmarks as one image at a time, in original-image pixels") {
  TempDir dir;
  HRNetConfig c = hrnet_preset("hrnet_w18_small");
  c.input_size = 64;
  c.num_landmarks = 2;
  c.landmark_names = {"A", "B"};
  HRNet model(c);
  save_model(model, dir / "model.safetensors");
  Detector detector(dir / "model.safetensors");
  CHECK(detector.config().landmark_names == c.landmark_names);
  std::vector<Image> images;
  for (int i = 0; i < 3; ++i) {
    Image im;
    im.width = 96 + 16 * i;  // different sizes and aspect ratios in one batch
    im.height = 80;
    im.channels = 1;
    im.pixels.resize(static_cast<size_t>(im.width * im.height));
    for (size_t p = 0; p < im.pixels.size(); ++p) im.pixels[p] = static_cast<float>((p * 37 + i * 11) % 101) / 100.0f;
    images.push_back(im);
  }
  const auto batched = detector.predict(images);
  REQUIRE(batched.size() == 3);
  for (size_t i = 0; i < images.size(); ++i) {
    const std::vector<Landmark> single = detector.predict(images[i]);
    REQUIRE(single.size() == 2);
    for (size_t k = 0; k < 2; ++k) {
      CHECK(single[k].name == c.landmark_names[k]);
      CHECK(single[k].x == doctest::Approx(batched[i][k].x).epsilon(1e-4));
      CHECK(single[k].y == doctest::Approx(batched[i][k].y).epsilon(1e-4));
      // Letterboxed: the whole input maps back onto the image, and a little beyond on the padded axis.
      CHECK(single[k].x > -1);
      CHECK(single[k].x < images[i].width + 1);
    }
  }
  CHECK_THROWS_WITH_AS(Detector(dir / "missing.safetensors"), doctest::Contains("missing.safetensors"), Error);
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
  for (const auto& [args, named] : cases) {
    const testing::CliResult r = run_cli(args);
    INFO(args, ": ", r.output);
    CHECK(r.status == 1);
    CHECK(r.output.starts_with("heatmark: error: "));
    CHECK(r.output.find(named) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
}
