// heatmark eval: a trained model scored on a dataset, or on a run's own
// validation split (which needs the run's training config to rebuild it).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "base/error.h"
#include "cuda/info.h"
#include "data/text.h"
#include "infer/detector.h"
#include "infer/metrics.h"
#include "tensor/atomic_file.h"
#include "tensor/kernels.h"
#include "tensor/output_paths.h"
#include "tools/commands.h"
#include "train/trainer.h"

namespace heatmark::cli {

namespace {

struct EvalOptions {
  std::string model, data, format = "auto", images, run, json, device = "cpu", kernels = "handwritten", decode = "softargmax";
  int64_t batch = 8;
  int stages = 2;
  double mm_per_px = 0;
  bool force = false, allow_outside_paths = false;
};

int eval_command(const EvalOptions& o) {
  HM_CHECK(o.run.empty() || o.data.empty(), "eval: give --data DATASET or --run RUNDIR, not both");
  for (const std::string* path : {&o.model, &o.data, &o.images, &o.run, &o.json})
    if (!path->empty()) check_utf8_name(*path);  // each is written into the JSON results
  if (!o.json.empty()) {
    output_format(o.json, "--json", {".json"});
    check_output_file(o.json, "--json", {{o.model, "the model (--model)"}}, o.force);
  }
  const Device device = cuda::usable_device(Device::parse(o.device));
  kernels::select_kernel_provider(o.kernels, device);  // for vendor: loads the libraries now, or says what is missing
  Detector detector(o.model, device, parse_decoder(o.decode), o.stages);
  const HRNetConfig& mc = detector.config();
  // The images: a run's validation split, or a whole dataset.
  TrainConfig tc;
  std::vector<size_t> indices;
  Dataset data;
  if (!o.run.empty()) {
    tc = resume_config(o.run, "eval --run");
    data = load_training_data(tc);
    indices = split_of(tc, data).validation;
    HM_CHECK(!indices.empty(), "eval --run {}: the run has no validation images", o.run);
  } else {
    HM_CHECK(!o.data.empty(), "eval: give --data DATASET or --run RUNDIR");
    tc.data = o.data;
    tc.format = o.format;
    tc.images = o.images;
    tc.mm_per_px = o.mm_per_px;
    tc.allow_outside_paths = o.allow_outside_paths;
    data = load_training_data(tc);
    // The model's landmarks, picked from the dataset by name when it has more.
    if (data.landmark_names != mc.landmark_names && !mc.landmark_names.empty()) {
      std::string names, theirs;
      for (const std::string& n : data.landmark_names) theirs += (theirs.empty() ? "" : ", ") + n;
      // By 1-based index, which a name holding a comma cannot confuse.
      for (const std::string& n : mc.landmark_names) {
        const auto it = std::find(data.landmark_names.begin(), data.landmark_names.end(), n);
        HM_CHECK(it != data.landmark_names.end(),
                 "eval: the model {} finds landmark '{}', which the dataset {} does not have (it has: {})", o.model, n,
                 o.data, theirs);
        names += fmt::format("{}{}", names.empty() ? "" : ",", it - data.landmark_names.begin() + 1);
      }
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
      images.push_back(load_image(data.samples[indices[i]].image, detector.image_load()));
      samples.push_back(&data.samples[indices[i]]);
    }
    for (const std::vector<Landmark>& found : detector.predict(images)) {
      std::vector<Point> points;
      for (const Landmark& l : found) points.push_back({l.x, l.y});
      predictions.push_back(points);
    }
  }
  const Metrics m = compute_metrics(predictions, samples);
  const int stages = detector.refines() ? 2 : 1;
  fmt::print("{} on {} images of {} (decoder {}, {}):\n{}\n\n{}", o.model, m.images, data.root, o.decode,
             stages == 2 ? "both stages" : "stage 1", metrics_line(m), landmark_table(m, data.landmark_names));
  if (!o.json.empty()) {
    nlohmann::json per = nlohmann::json::array();
    for (size_t k = 0; k < m.landmark_mre_px.size(); ++k) {
      nlohmann::json e = {{"name", data.landmark_names[k]}, {"mre_px", m.landmark_mre_px[k]}};
      if (m.has_mm()) e["mre_mm"] = m.landmark_mre_mm[k];
      per.push_back(e);
    }
    nlohmann::json doc = {{"model", o.model}, {"data", data.root}, {"decoder", o.decode}, {"stages", stages},
                          {"images", m.images}, {"mre_px", m.mre_px}, {"landmarks", per}};
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

Command add_eval(CLI::App& parent) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = parent.add_subcommand("eval", "Measure a model on an annotated dataset: MRE, SDR, per landmark");
  cmd->add_option("--model", o->model, "Model file")->required();
  cmd->add_option("--data", o->data, "Dataset folder (read like train does)");
  cmd->add_option("--format", o->format, "auto, folder, isbi, aariz or labelme")->capture_default_str();
  cmd->add_option("--images", o->images, "Image folder (ISBI txt annotations)");
  cmd->add_option("--mm-per-px", o->mm_per_px, "Pixel spacing when the dataset gives none")->check(mm_per_px_check());
  cmd->add_flag("--allow-outside-paths", o->allow_outside_paths, "Let annotations name images outside the dataset folder");
  cmd->add_option("--run", o->run, "Evaluate the validation images of this training run folder");
  cmd->add_option("--json", o->json, "Also write the metrics as JSON");
  cmd->add_flag("--force", o->force, "Replace an existing --json file");
  cmd->add_option("--device", o->device, "cpu, cuda, cuda:N or emu")->capture_default_str();
  cmd->add_option("--kernels", o->kernels, "handwritten, or vendor: oneDNN for conv on cpu, cuDNN/cuBLAS on cuda")
      ->check(CLI::IsMember({"handwritten", "vendor"}))
      ->capture_default_str();
  cmd->add_option("--decode", o->decode, "softargmax, argmax or dark")
      ->check(CLI::IsMember({"softargmax", "argmax", "dark"}))
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "Images per batch")->check(number_in(1, 4096))->capture_default_str();
  cmd->add_option("--stages", o->stages, "2: refine with the model's second stage when it has one; 1: stage 1 alone")
      ->check(CLI::IsMember({1, 2}))
      ->capture_default_str();
  return {cmd, [o] { return eval_command(*o); }};
}

}  // namespace heatmark::cli
