// heatmark predict and heatmark eval: using a trained model.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>

#include "infer/detector.h"
#include "infer/overlay.h"
#include "tensor/atomic_file.h"
#include "tensor/error.h"
#include "tools/commands.h"
#include "train/metrics.h"
#include "train/trainer.h"

namespace heatmark::cli {

namespace fs = std::filesystem;

namespace {

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

// The image files named on the command line: files as given, folders' images sorted.
std::vector<std::string> collect_images(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const std::string& input : inputs) {
    if (fs::is_directory(input)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(input))
        if (e.is_regular_file() && is_image_file(e.path())) found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      HM_CHECK(!found.empty(), "predict: folder {} holds no PNG, JPEG or BMP images", input);
      out.insert(out.end(), found.begin(), found.end());
    } else {
      HM_CHECK(fs::is_regular_file(input), "predict: {} does not exist", input);
      out.push_back(input);
    }
  }
  return out;
}

struct PredictOptions {
  std::string model, out, overlay, device = "cpu", decode = "softargmax";
  std::vector<std::string> inputs;
  int64_t batch = 8;
  double mm_per_px = 0;
};

int predict_command(const PredictOptions& o) {
  Detector detector(o.model, Device::parse(o.device), parse_decoder(o.decode));
  const std::vector<std::string> files = collect_images(o.inputs);
  if (!o.overlay.empty()) {
    std::error_code created;
    fs::create_directories(o.overlay, created);
    HM_CHECK(!created, "predict: cannot create the overlay folder {}: {}", o.overlay, created.message());
  }
  nlohmann::json results = nlohmann::json::array();
  std::string csv = "image,landmark,name,x,y,confidence" + std::string(o.mm_per_px > 0 ? ",x_mm,y_mm" : "") + "\n";
  for (size_t first = 0; first < files.size(); first += static_cast<size_t>(o.batch)) {
    const std::vector<std::string> part(files.begin() + first,
                                        files.begin() + std::min(files.size(), first + static_cast<size_t>(o.batch)));
    std::vector<Image> images;
    for (const std::string& f : part) images.push_back(load_image(f));
    const auto start = std::chrono::steady_clock::now();
    const std::vector<std::vector<Landmark>> found = detector.predict(images);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
                      static_cast<double>(part.size());
    for (size_t i = 0; i < part.size(); ++i) {
      fmt::print("{}: {:.1f} ms\n", part[i], ms);
      nlohmann::json landmarks = nlohmann::json::array();
      for (size_t k = 0; k < found[i].size(); ++k) {
        const Landmark& l = found[i][k];
        nlohmann::json entry = {{"name", l.name}, {"x", l.x}, {"y", l.y}, {"confidence", l.confidence}};
        csv += fmt::format("{},{},\"{}\",{:.3f},{:.3f},{:.4f}", part[i], k + 1, l.name, l.x, l.y, l.confidence);
        if (o.mm_per_px > 0) {
          entry["x_mm"] = l.x * o.mm_per_px;
          entry["y_mm"] = l.y * o.mm_per_px;
          csv += fmt::format(",{:.3f},{:.3f}", l.x * o.mm_per_px, l.y * o.mm_per_px);
        }
        csv += "\n";
        landmarks.push_back(entry);
        if (o.out.empty()) fmt::print("  {:>2} {:<28} x {:9.2f}  y {:9.2f}  confidence {:.3f}\n", k + 1, l.name, l.x, l.y, l.confidence);
      }
      results.push_back({{"image", part[i]}, {"width", images[i].width}, {"height", images[i].height},
                         {"milliseconds", ms}, {"landmarks", landmarks}});
      if (!o.overlay.empty())
        save_png(draw_overlay(images[i], found[i]), (fs::path(o.overlay) / (fs::path(part[i]).stem().string() + ".png")).string());
    }
  }
  if (!o.out.empty()) {
    if (fs::path(o.out).extension() == ".csv") {
      write_file_atomically(o.out, csv);
    } else {
      const nlohmann::json document = {{"model", o.model}, {"decoder", o.decode}, {"images", results}};
      write_file_atomically(o.out, document.dump(2) + "\n");
    }
    fmt::print("wrote {} ({} images)\n", o.out, files.size());
  }
  if (!o.overlay.empty()) fmt::print("overlays in {}\n", o.overlay);
  return 0;
}

struct EvalOptions {
  std::string model, data, format = "auto", images, run, json, device = "cpu", decode = "softargmax";
  int64_t batch = 8;
  double mm_per_px = 0;
};

int eval_command(const EvalOptions& o) {
  Detector detector(o.model, Device::parse(o.device), parse_decoder(o.decode));
  const HRNetConfig& mc = detector.config();
  // The images: a run's validation split, or a whole dataset.
  TrainConfig tc;
  std::vector<size_t> indices;
  Dataset data;
  if (!o.run.empty()) {
    tc = resume_config(o.run);
    data = load_training_data(tc);
    indices = split_of(tc, data).validation;
    HM_CHECK(!indices.empty(), "eval --run {}: the run has no validation images", o.run);
  } else {
    HM_CHECK(!o.data.empty(), "eval: give --data DATASET or --run RUNDIR");
    tc.data = o.data;
    tc.format = o.format;
    tc.images = o.images;
    tc.mm_per_px = o.mm_per_px;
    data = load_training_data(tc);
    // The model's landmarks, picked from the dataset by name when it has more.
    if (data.landmark_names != mc.landmark_names && !mc.landmark_names.empty()) {
      std::string names;
      for (const std::string& n : mc.landmark_names) names += (names.empty() ? "" : ",") + n;
      select_landmarks(data, names);
    }
    for (size_t i = 0; i < data.samples.size(); ++i) indices.push_back(i);
  }
  HM_CHECK(static_cast<int64_t>(data.landmark_names.size()) == mc.num_landmarks,
           "eval: the dataset has {} landmarks but the model {} predicts {}", data.landmark_names.size(), o.model,
           mc.num_landmarks);

  std::vector<std::vector<Point>> predictions;
  std::vector<const Sample*> samples;
  for (size_t first = 0; first < indices.size(); first += static_cast<size_t>(o.batch)) {
    std::vector<Image> images;
    for (size_t i = first; i < std::min(indices.size(), first + static_cast<size_t>(o.batch)); ++i) {
      images.push_back(load_image(data.samples[indices[i]].image));
      samples.push_back(&data.samples[indices[i]]);
    }
    for (const std::vector<Landmark>& found : detector.predict(images)) {
      std::vector<Point> points;
      for (const Landmark& l : found) points.push_back({l.x, l.y});
      predictions.push_back(points);
    }
  }
  const Metrics m = compute_metrics(predictions, samples);
  fmt::print("{} on {} images of {} (decoder {}):\n{}\n\n{}", o.model, m.images, data.root, o.decode,
             metrics_line(m), landmark_table(m, data.landmark_names));
  if (!o.json.empty()) {
    nlohmann::json per = nlohmann::json::array();
    for (size_t k = 0; k < m.landmark_mre_px.size(); ++k) {
      nlohmann::json e = {{"name", data.landmark_names[k]}, {"mre_px", m.landmark_mre_px[k]}};
      if (m.has_mm()) e["mre_mm"] = m.landmark_mre_mm[k];
      per.push_back(e);
    }
    nlohmann::json doc = {{"model", o.model}, {"data", data.root}, {"decoder", o.decode}, {"images", m.images},
                          {"mre_px", m.mre_px}, {"landmarks", per}};
    if (m.has_mm()) {
      doc["mre_mm"] = m.mre_mm;
      doc["sdr_percent"] = {{"2mm", m.sdr[0]}, {"2.5mm", m.sdr[1]}, {"3mm", m.sdr[2]}, {"4mm", m.sdr[3]}};
    }
    write_file_atomically(o.json, doc.dump(2) + "\n");
    fmt::print("wrote {}\n", o.json);
  }
  return 0;
}

}  // namespace

Command add_predict(CLI::App& parent) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* cmd = parent.add_subcommand("predict", "Find the landmarks of images with a trained model");
  cmd->add_option("--model", o->model, "Model file (best.safetensors of a run, or any model file)")->required();
  cmd->add_option("images", o->inputs, "Image files or folders of images")->required();
  cmd->add_option("--out", o->out, "Write the results to FILE.json or FILE.csv (default: print them)");
  cmd->add_option("--overlay", o->overlay, "Write each image with its landmarks drawn into this folder");
  cmd->add_option("--device", o->device, "cpu, cuda, cuda:N or emu")->capture_default_str();
  cmd->add_option("--decode", o->decode, "softargmax, argmax or dark")
      ->check(CLI::IsMember({"softargmax", "argmax", "dark"}))
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "Images per batch")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--mm-per-px", o->mm_per_px, "Pixel spacing, to also report millimetres");
  return {cmd, [o] { return predict_command(*o); }};
}

Command add_eval(CLI::App& parent) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = parent.add_subcommand("eval", "Measure a model on an annotated dataset: MRE, SDR, per landmark");
  cmd->add_option("--model", o->model, "Model file")->required();
  cmd->add_option("--data", o->data, "Dataset folder (read like train does)");
  cmd->add_option("--format", o->format, "auto, folder, isbi, aariz or labelme")->capture_default_str();
  cmd->add_option("--images", o->images, "Image folder (ISBI txt annotations)");
  cmd->add_option("--mm-per-px", o->mm_per_px, "Pixel spacing when the dataset gives none");
  cmd->add_option("--run", o->run, "Evaluate the validation images of this training run folder");
  cmd->add_option("--json", o->json, "Also write the metrics as JSON");
  cmd->add_option("--device", o->device, "cpu, cuda, cuda:N or emu")->capture_default_str();
  cmd->add_option("--decode", o->decode, "softargmax, argmax or dark")
      ->check(CLI::IsMember({"softargmax", "argmax", "dark"}))
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "Images per batch")->check(CLI::PositiveNumber)->capture_default_str();
  return {cmd, [o] { return eval_command(*o); }};
}

}  // namespace heatmark::cli
