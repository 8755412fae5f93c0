// heatmark predict: landmarks on new images with a trained model. Uses the
// deployment libraries only (infer/, data/, the model and the kernels), never
// the training code.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>

#include "base/error.h"
#include "cuda/info.h"
#include "data/csv.h"
#include "data/text.h"
#include "infer/detector.h"
#include "infer/overlay.h"
#include "tensor/atomic_file.h"
#include "tensor/kernels.h"
#include "tensor/output_paths.h"
#include "tools/commands.h"

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
        if (e.is_regular_file() && is_image_file(e.path())) {
          check_utf8_name(e.path());  // the name goes into the JSON and CSV results
          found.push_back(e.path().string());
        }
      std::sort(found.begin(), found.end());
      HM_CHECK(!found.empty(), "predict: folder {} holds no PNG, JPEG or BMP images", input);
      out.insert(out.end(), found.begin(), found.end());
    } else {
      HM_CHECK(fs::is_regular_file(input), "predict: {} does not exist", printable(input));
      check_utf8_name(input);
      out.push_back(input);
    }
  }
  return out;
}

// One overlay file name per image: its stem with ".png". Where images share
// a stem (d1/x.png, d2/x.jpg), each is prefixed with as many of its parent
// folders' names as make it unique (d1-x.png, d2-x.png); a counter is the last resort.
std::vector<std::string> overlay_names(const std::vector<std::string>& files) {
  std::vector<fs::path> paths;
  for (const std::string& f : files) paths.push_back(fs::absolute(f).lexically_normal());
  std::vector<std::string> names(files.size());
  std::vector<bool> settled(files.size(), false);
  for (int depth = 0; depth <= 16; ++depth) {
    for (size_t i = 0; i < files.size(); ++i) {
      if (settled[i]) continue;
      std::string name = paths[i].stem().string();
      fs::path folder = paths[i].parent_path();
      for (int d = 0; d < depth && folder.has_relative_path(); ++d, folder = folder.parent_path())
        name = folder.filename().string() + "-" + name;
      names[i] = name;
    }
    std::map<std::string, int> uses;
    for (const std::string& n : names) ++uses[n];
    bool all = true;
    for (size_t i = 0; i < files.size(); ++i) {
      settled[i] = settled[i] || uses[names[i]] == 1;
      all = all && settled[i];
    }
    if (all) break;
  }
  std::map<std::string, int> seen;
  for (std::string& n : names) {
    const int k = seen[n]++;
    n += (k > 0 ? fmt::format("-{}", k + 1) : "") + ".png";
  }
  return names;
}

struct PredictOptions {
  std::string model, out, overlay, device = "cpu", kernels = "handwritten", decode = "softargmax";
  std::vector<std::string> inputs;
  int64_t batch = 8;
  int stages = 2;
  double mm_per_px = 0;
  bool force = false;
};

int predict_command(const PredictOptions& o) {
  // Where the outputs go is settled before any work: they never replace the
  // model or an image, and need --force to replace anything else.
  check_utf8_name(o.model);
  const std::vector<std::string> files = collect_images(o.inputs);
  std::vector<NamedInput> inputs{{o.model, "the model (--model)"}};
  for (const std::string& f : files) inputs.push_back({f, "the input image"});
  std::string format;
  if (!o.out.empty()) {
    format = output_format(o.out, "--out", {".json", ".csv"});
    check_output_file(o.out, "--out", inputs, o.force);
  }
  std::vector<std::string> overlays;
  if (!o.overlay.empty()) {
    check_output_folder(o.overlay, "--overlay", o.force);
    for (const std::string& name : overlay_names(files)) {
      overlays.push_back((fs::path(o.overlay) / name).string());
      // Every input exists, so only an overlay that exists can be one (and a new folder costs no comparisons).
      if (fs::exists(overlays.back())) check_output_file(overlays.back(), "--overlay", inputs, true);
      HM_CHECK(o.out.empty() || !same_file(overlays.back(), o.out), "--overlay {} would replace --out {}", overlays.back(),
               o.out);
    }
  }
  const Device device = cuda::usable_device(Device::parse(o.device));
  kernels::select_kernel_provider(o.kernels, device);  // for vendor: loads the libraries now, or says what is missing
  Detector detector(o.model, device, parse_decoder(o.decode), o.stages);
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
    for (const std::string& f : part) images.push_back(load_image(f, detector.image_load()));
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
        std::vector<std::string> row{part[i], std::to_string(k + 1), l.name, fmt::format("{:.3f}", l.x),
                                     fmt::format("{:.3f}", l.y), fmt::format("{:.4f}", l.confidence)};
        if (o.mm_per_px > 0) {
          entry["x_mm"] = l.x * o.mm_per_px;
          entry["y_mm"] = l.y * o.mm_per_px;
          row.push_back(fmt::format("{:.3f}", l.x * o.mm_per_px));
          row.push_back(fmt::format("{:.3f}", l.y * o.mm_per_px));
        }
        csv += csv_row(row);
        landmarks.push_back(entry);
        if (o.out.empty()) fmt::print("  {:>2} {:<28} x {:9.2f}  y {:9.2f}  confidence {:.3f}\n", k + 1, l.name, l.x, l.y, l.confidence);
      }
      nlohmann::json result = {{"image", part[i]},
                               {"width", images[i].original_width()},
                               {"height", images[i].original_height()},
                               {"milliseconds", ms},
                               {"landmarks", landmarks}};
      if (!o.overlay.empty()) {
        result["overlay"] = overlays[first + i];
        save_png(draw_overlay(images[i], found[i]), overlays[first + i]);
      }
      results.push_back(result);
    }
  }
  if (!o.out.empty()) {
    if (format == ".csv") {
      write_file_atomically(o.out, csv);
    } else {
      const nlohmann::json document = {{"model", o.model}, {"decoder", o.decode}, {"images", results}};
      write_file_atomically(o.out, document.dump(2) + "\n");
    }
    fmt::print("wrote {} ({} images)\n", o.out, files.size());
  }
  if (!o.overlay.empty()) fmt::print("overlays in {}\n", o.overlay);
  // Per image, each stage apart: what refinement costs on top of stage 1.
  const Detector::Timing& t = detector.timing();
  const double n = static_cast<double>(std::max<int64_t>(t.images, 1));
  fmt::print("time per image: stage 1 {:.1f} ms{}\n", 1e3 * t.stage1_seconds / n,
             detector.refines() ? fmt::format(", stage 2 (refinement) {:.1f} ms", 1e3 * t.refine_seconds / n)
                                : std::string(o.stages == 2 ? " (the model has no refiner)" : " (--stages 1)"));
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
  cmd->add_option("--mm-per-px", o->mm_per_px, "Pixel spacing, to also report millimetres")->check(mm_per_px_check());
  cmd->add_flag("--force", o->force, "Replace an existing --out file, or write into a non-empty --overlay folder "
                "(never over the model or an input image)");
  return {cmd, [o] { return predict_command(*o); }};
}

}  // namespace heatmark::cli
