// The heatmark command line.
//
// Subcommands: bench, import-timm, inspect. Each subcommand parses its flags
// with CLI11; any heatmark::Error is printed as one line and exits with status 1.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "cuda/info.h"
#include "hrnet/model_file.h"
#include "hrnet/timm_import.h"
#if HEATMARK_HAS_CUDA
#include "cuda/vendor/vendor.h"
#endif
#include "heatmark/version.h"
#include "tensor/error.h"
#include "tensor/kernels.h"
#include "tensor/parallel.h"
#include "tests/harness/op_harness.h"

namespace heatmark {

namespace {

std::string version_text() {
  std::string cuda = cuda::built_with_cuda()
                         ? fmt::format("CUDA {} built in; {}", cuda::toolkit_version(), cuda::device_summary())
                         : std::string("CPU-only build (CUDA not built in)");
#if HEATMARK_HAS_CUDA
  try {
    cuda += "\nvendor kernels: " + vendor::versions();
  } catch (const Error& e) {
    cuda += std::string("\nvendor kernels: unavailable (") + e.what() + ")";
  }
#endif
  return fmt::format("heatmark {}\n{}\nCPU threads: {}, OpenBLAS kernels: {}", HEATMARK_VERSION, cuda, num_threads(),
                     blas_kernels());
}

struct BenchOpsOptions {
  std::string op;
  std::string device = "cpu";
  std::string kernels = "handwritten";
  int repeat = 5;
};

// Times every registered op (or one) on its model-sized perf cases.
void bench_ops(const BenchOpsOptions& o) {
  const harness::Backend backend{cuda::usable_device(Device::parse(o.device)), kernels::parse_kernel_provider(o.kernels)};
  fmt::print("backend: {}\n", backend.name());
  fmt::print("{:<70} {:>10} {:>10} {:>11} {:>11}\n", "case", "fwd ms", "bwd ms", "fwd GFLOP/s", "bwd GFLOP/s");
  bool found = false;
  for (const harness::OpFamily& f : harness::registry()) {
    if (!o.op.empty() && f.op != o.op) continue;
    found = true;
    if (!f.gpu_kernels && !backend.device.is_cpu()) {
      fmt::print("{:<70} (CPU only)\n", f.op);
      continue;
    }
    for (const harness::OpCase& c : f.perf_cases) {
      const harness::PerfResult r = harness::measure(c, backend, o.repeat);
      fmt::print("{:<70} {:>10.3f} {:>10.3f} {:>11.2f} {:>11.2f}\n", c.describe(), r.forward_ms, r.backward_ms,
                 r.forward_gflops, r.backward_gflops);
    }
  }
  HM_CHECK(found, "bench ops: unknown op '{}' (see the op harness registry)", o.op);
}

struct ImportOptions {
  std::string file, model = "hrnet_w32", out, head = "simple";
  int64_t landmarks = 2, input_size = 768;
};

// Builds a model of the chosen layout with RGB ImageNet input, copies timm's
// pretrained backbone into it, and writes it as a heatmark model file.
int import_timm_command(const ImportOptions& o) {
  HRNetConfig config = hrnet_preset(o.model);
  config.use_imagenet_input();
  config.head = parse_head(o.head);
  config.num_landmarks = o.landmarks;
  config.input_size = o.input_size;
  HRNet model(config);
  const ImportReport report = import_timm(model, o.file);
  fmt::print("{}: {}\n", o.file, report.summary());
  if (!report.complete()) {
    fmt::print(stderr, "heatmark: error: {} does not fit {}: backbone tensors are missing or mismatched (see above)\n",
               o.file, o.model);
    return 1;
  }
  save_model(model, o.out, {{"heatmark.pretrained", o.file}});
  fmt::print("wrote {} ({} parameters; the {} head is freshly initialised)\n", o.out, model.parameter_count(),
             o.head);
  return 0;
}

// Prints what a model file holds.
void inspect_command(const std::string& path) {
  std::unique_ptr<HRNet> model = load_model(path);
  const HRNetConfig& c = model->config();
  fmt::print("{}: {} with the {} head\n", path, c.name, head_name(c.head));
  fmt::print("input: {} channel{}, {}x{} (heatmaps {}x{}); normalisation mean {} std {}\n", c.in_channels,
             c.in_channels > 1 ? "s" : "", c.input_size, c.input_size, c.heatmap_size(), c.heatmap_size(),
             fmt::join(c.input_mean, ", "), fmt::join(c.input_std, ", "));
  fmt::print("stem {}, stage 1: {} Bottleneck(s) of {} planes\n", c.stem_width, c.stage1_blocks, c.stage1_planes);
  for (size_t s = 0; s < c.stages.size(); ++s)
    fmt::print("stage {}: {} module(s) of {} BasicBlocks per branch, widths {}\n", s + 2, c.stages[s].modules,
               c.stages[s].blocks, fmt::join(c.stages[s].widths, "/"));
  fmt::print("landmarks: {}", c.num_landmarks);
  if (!c.landmark_names.empty()) fmt::print(" ({})", fmt::join(c.landmark_names, ", "));
  fmt::print("\nparameters: {}\n", model->parameter_count());
  for (const auto& [part, count] : model->parameter_counts()) fmt::print("  {:<8} {:>12}\n", part, count);
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"heatmark: landmark detection on X-ray images with a from-scratch C++/CUDA HRNet trainer"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", version_text());
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (default: all cores, or OMP_NUM_THREADS)");

  CLI::App* bench = app.add_subcommand("bench", "Measure kernels");
  bench->require_subcommand(1);
  BenchOpsOptions ops;
  CLI::App* bench_ops_cmd = bench->add_subcommand("ops", "Time forward and backward of every op (time, GFLOP/s)");
  bench_ops_cmd->add_option("--op", ops.op, "Only this op (e.g. conv2d)");
  bench_ops_cmd->add_option("--device", ops.device, "cpu, emu (kernels under the emulator: correctness, not speed) or cuda")
      ->capture_default_str();
  bench_ops_cmd->add_option("--kernels", ops.kernels, "On cuda: handwritten or vendor (cuDNN/cuBLAS)")
      ->check(CLI::IsMember({"handwritten", "vendor"}))
      ->capture_default_str();
  bench_ops_cmd->add_option("--repeat", ops.repeat, "Timed repeats (the median is shown)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  ImportOptions import;
  CLI::App* import_cmd = app.add_subcommand("import-timm", "Make a model from timm's ImageNet-pretrained HRNet weights");
  import_cmd->add_option("file", import.file, "timm model.safetensors")->required()->check(CLI::ExistingFile);
  import_cmd->add_option("--model", import.model, "hrnet_w18_small, hrnet_w18, hrnet_w32 or hrnet_w48")
      ->capture_default_str();
  import_cmd->add_option("--out", import.out, "The model file to write")->required();
  import_cmd->add_option("--head", import.head, "simple, concat or deconv")->capture_default_str();
  import_cmd->add_option("--landmarks", import.landmarks, "Number of landmarks K")->capture_default_str();
  import_cmd->add_option("--input-size", import.input_size, "Square input size (a multiple of 32)")->capture_default_str();

  std::string inspect_path;
  CLI::App* inspect_cmd = app.add_subcommand("inspect", "Describe a model file: architecture, sizes, parameters");
  inspect_cmd->add_option("model", inspect_path, "A heatmark model file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (threads > 0) set_num_threads(threads);

  if (*bench_ops_cmd) {
    bench_ops(ops);
  } else if (*import_cmd) {
    return import_timm_command(import);
  } else if (*inspect_cmd) {
    inspect_command(inspect_path);
  } else {
    std::fputs(app.help().c_str(), stdout);
  }
  return 0;
}

}  // namespace heatmark

int main(int argc, char** argv) {
  try {
    return heatmark::run(argc, argv);
  } catch (const heatmark::Error& e) {
    std::fprintf(stderr, "heatmark: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heatmark: internal error: %s\n", e.what());
    return 2;
  }
}
