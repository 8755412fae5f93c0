// heatmark bench ops: time every op of the harness on a backend.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "cuda/info.h"
#include "cuda/sim/memory_model.h"
#include "hrnet/hrnet.h"
#include "tensor/cpu/peak.h"
#include "tensor/cpu/vendor/onednn.h"
#include "tensor/parallel.h"
#include "tensor/profiler.h"
#include "harness/op_harness.h"
#include "tools/bench_train.h"
#include "tools/commands.h"

namespace heatmark::cli {

namespace {
struct BenchOpsOptions {
  std::string op;
  std::string device = "cpu";
  std::string kernels = "handwritten";
  std::string model;  // time this model's conv layers instead of the registry's cases
  int64_t input_size = 256, batch = 1;
  int repeat = 5;
  bool memory = false;  // with --device emu: the memory model's figures per kernel
};

// The distinct conv2d layers of a model at an input size, with how often each
// occurs, from one traced forward pass.
std::vector<std::pair<harness::OpCase, int>> model_conv_cases(const BenchOpsOptions& o) {
  HRNetConfig config = hrnet_preset(o.model);
  config.input_size = o.input_size;
  HRNet model(config);
  model.eval();
  std::vector<Conv2dShape> shapes;
  {
    NoGrad no_grad;
    profiler::set_conv_trace(&shapes);
    model.forward(Tensor::zeros({o.batch, config.in_channels, o.input_size, o.input_size}));
    profiler::set_conv_trace(nullptr);
  }
  std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t>, int> count;
  std::vector<std::pair<harness::OpCase, int>> out;
  for (const Conv2dShape& s : shapes) ++count[{s.N, s.C_in, s.H, s.W, s.C_out, s.kH, s.stride, s.pad}];
  for (const auto& [key, n] : count) {
    const auto [N, C_in, H, W, C_out, k, stride, pad] = key;
    out.emplace_back(harness::conv2d_case(N, C_in, H, W, C_out, k, static_cast<int>(stride), static_cast<int>(pad),
                                          false),
                     n);
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The memory model's figures of every kernel that ran (bench ops --memory).
void print_memory_report() {
  sim::set_memory_model(false);
  fmt::print("\nmemory traffic of every kernel that ran, as the emulator's model counts it (per warp-level request: "
             "global sectors of 32 bytes, and efficiency, the fewest sectors possible over those touched; shared "
             "wavefronts, and conflict, wavefronts over the fewest possible), with the lines that waste the most:\n");
  fmt::print("{}", sim::format_memory_report(sim::memory_report(), 3));
}

// Times every registered op (or one), or a model's conv layers, on a backend.
int bench_ops(const BenchOpsOptions& o) {
  const Device device = cuda::usable_device(Device::parse(o.device));
  HM_CHECK(!o.memory || device.is_emu(), "bench ops --memory models the emulated kernels: it needs --device emu, not {}",
           o.device);
  if (o.memory) {
    sim::set_memory_model(true);
    sim::reset_memory_report();
  }
  // Loads the device's vendor libraries up front for vendor (oneDNN, or cuDNN and cuBLAS).
  kernels::select_kernel_provider(o.kernels, device);
  const harness::Backend backend{device, kernels::kernel_provider()};
  // The yardsticks: on the CPU its measured FMA peak, and the vendor kernels
  // (oneDNN on the CPU when it loads, cuDNN/cuBLAS on a GPU) against the
  // hand-written ones, for the ops that have them (on the CPU only conv2d and
  // conv_transpose2d: elsewhere both would run the same kernel).
  const harness::Backend vendor{device, kernels::KernelProvider::Vendor};
  const bool versus_vendor = backend.provider == kernels::KernelProvider::HandWritten &&
                             (device.is_cuda() || (device.is_cpu() && harness::cpu_vendor_available()));
  auto compared = [&](const harness::OpFamily& f) { return versus_vendor && (device.is_cuda() || f.cpu_vendor); };
  bool any_compared = false;  // the ratio columns are shown
  for (const harness::OpFamily& f : harness::registry())
    if (o.model.empty() ? (o.op.empty() || f.op == o.op) : f.op == "conv2d") any_compared |= compared(f);
  double peak_gflops = 0;
  if (device.is_cpu()) {
    const cpu::FmaPeak peak = cpu::measure_fma_peak(num_threads());
    peak_gflops = peak.gflops;
    fmt::print("backend: {}, {} threads; measured {} FMA peak {:.1f} GFLOP/s\n", backend.name(), peak.threads, peak.isa,
               peak.gflops);
    if (backend.is_cpu_vendor() || any_compared)
      fmt::print("vendor kernels: {} for conv2d and conv_transpose2d\n", onednn::version());
  } else {
    fmt::print("backend: {}\n", backend.name());
  }
  fmt::print("{:<70} {:>5} {:>9} {:>9} {:>9} {:>9}", "case", "count", "fwd ms", "bwd ms", "fwd GF/s", "bwd GF/s");
  if (peak_gflops > 0) fmt::print(" {:>9} {:>9}", "fwd %peak", "bwd %peak");
  if (any_compared) fmt::print(" {:>9} {:>9}", "fwd/vndr", "bwd/vndr");
  fmt::print("\n");

  double total_ms = 0, total_flops = 0, big3x3_ms = 0, big3x3_flops = 0;
  std::vector<double> forward_ratios, backward_ratios;  // hand-written time / vendor time, per case
  auto report = [&](const harness::OpCase& c, int count, bool versus) {
    const harness::PerfResult r = harness::measure(c, backend, o.repeat);
    fmt::print("{:<70} {:>5} {:>9.3f} {:>9.3f} {:>9.2f} {:>9.2f}", c.describe(), count, r.forward_ms, r.backward_ms,
               r.forward_gflops, r.backward_gflops);
    if (peak_gflops > 0)
      fmt::print(" {:>8.1f}% {:>8.1f}%", 100 * r.forward_gflops / peak_gflops, 100 * r.backward_gflops / peak_gflops);
    if (versus) {
      const harness::PerfResult v = harness::measure(c, vendor, o.repeat);
      forward_ratios.push_back(r.forward_ms / v.forward_ms);
      backward_ratios.push_back(r.backward_ms / v.backward_ms);
      fmt::print(" {:>9.2f} {:>9.2f}", forward_ratios.back(), backward_ratios.back());
    }
    fmt::print("\n");
    total_ms += count * (r.forward_ms + r.backward_ms);
    total_flops += count * 3 * c.flops;
    // "Larger" 3x3 layers: at least 0.1 GFLOP per forward.
    if (c.params.starts_with("k3") && c.flops >= 1e8) {
      big3x3_ms += count * (r.forward_ms + r.backward_ms);
      big3x3_flops += count * 3 * c.flops;
    }
  };

  if (!o.model.empty()) {
    HM_CHECK(o.op.empty() || o.op == "conv2d", "bench ops --model times the model's conv2d layers; --op {} does not apply",
             o.op);
    const bool versus = compared(harness::family("conv2d"));
    for (const auto& [c, count] : model_conv_cases(o)) report(c, count, versus);
    const double gflops = total_flops / (total_ms * 1e6);
    fmt::print("\nall conv layers of {} at {}x{}, batch {}, forward + backward: {:.1f} ms, {:.1f} GFLOP/s", o.model,
               o.input_size, o.input_size, o.batch, total_ms, gflops);
    if (peak_gflops > 0) fmt::print(" ({:.1f}% of peak)", 100 * gflops / peak_gflops);
    fmt::print("\n");
    if (big3x3_ms > 0) {
      const double big = big3x3_flops / (big3x3_ms * 1e6);
      fmt::print("3x3 layers of at least 0.1 GFLOP: {:.1f} ms, {:.1f} GFLOP/s", big3x3_ms, big);
      if (peak_gflops > 0) fmt::print(" ({:.1f}% of peak)", 100 * big / peak_gflops);
      fmt::print("\n");
    }
    if (!forward_ratios.empty())
      fmt::print("hand-written time / {} time, median over the {} layers: forward {:.2f}, backward {:.2f}\n",
                 device.is_cpu() ? "oneDNN" : "cuDNN", forward_ratios.size(), median(forward_ratios),
                 median(backward_ratios));
    if (o.memory) print_memory_report();
    return 0;
  }
  bool found = false;
  for (const harness::OpFamily& f : harness::registry()) {
    if (!o.op.empty() && f.op != o.op) continue;
    found = true;
    if (!f.gpu_kernels && !device.is_cpu()) {
      fmt::print("{:<70} (CPU only)\n", f.op);
      continue;
    }
    for (const harness::OpCase& c : f.perf_cases) report(c, 1, compared(f));
  }
  HM_CHECK(found, "bench ops: unknown op '{}' (see the op harness registry)", o.op);
  if (o.memory) print_memory_report();
  return 0;
}
}  // namespace

Command add_bench(CLI::App& parent) {
  CLI::App* bench = parent.add_subcommand("bench", "Measure kernels and training steps");
  bench->require_subcommand(1);
  auto ops = std::make_shared<BenchOpsOptions>();
  CLI::App* cmd = bench->add_subcommand("ops", "Time forward and backward of every op, or of a model's conv layers (ms, GFLOP/s, share of peak)");
  cmd->add_option("--op", ops->op, "Only this op (e.g. conv2d)");
  cmd->add_option("--device", ops->device, "cpu, emu (kernels under the emulator: correctness, not speed) or cuda")
      ->capture_default_str();
  cmd->add_option("--kernels", ops->kernels,
                  "handwritten, or vendor: oneDNN on cpu, cuDNN/cuBLAS on cuda (handwritten also times vendor, "
                  "when it loads, for the fwd/vndr and bwd/vndr ratios)")
      ->check(CLI::IsMember({"handwritten", "vendor"}))
      ->capture_default_str();
  cmd->add_option("--model", ops->model, "Time this model's conv layers (hrnet_w18, hrnet_w32, ...) instead");
  cmd->add_option("--input-size", ops->input_size, "With --model: input size")->capture_default_str();
  cmd->add_option("--batch", ops->batch, "With --model: batch size")->capture_default_str();
  cmd->add_flag("--memory", ops->memory,
               "With --device emu: also count each kernel's memory traffic (coalescing, bank conflicts, the worst lines)");
  cmd->add_option("--repeat", ops->repeat, "Timed repeats (the median is shown)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  auto train = std::make_shared<BenchTrainOptions>();
  CLI::App* train_cmd = bench->add_subcommand(
      "train", "Time whole training steps (or forward passes) on random data: ms/step, images/s, memory, by op");
  train_cmd->add_option("--model", train->model, "hrnet_w18_small, hrnet_w18, hrnet_w32 or hrnet_w48")
      ->capture_default_str();
  train_cmd->add_option("--head", train->head, "simple, concat or deconv")->capture_default_str();
  train_cmd->add_option("--input-size", train->input_size, "Input WxH, or one number for a square (multiples of 32)")
      ->check(input_size_check())
      ->capture_default_str();
  train_cmd->add_option("--batch", train->batch, "Batch size")->capture_default_str();
  train_cmd->add_option("--landmarks", train->landmarks, "Landmarks (heatmaps)")->capture_default_str();
  train_cmd->add_option("--device", train->device, "cpu, cuda, cuda:N or emu (emu: correctness, not speed)")
      ->capture_default_str();
  train_cmd->add_option("--kernels", train->kernels, "handwritten, or vendor: oneDNN on cpu, cuDNN/cuBLAS on cuda")
      ->check(CLI::IsMember({"handwritten", "vendor"}))
      ->capture_default_str();
  train_cmd->add_option("--steps", train->steps, "Timed steps (the median is shown)")->capture_default_str();
  train_cmd->add_option("--warmup", train->warmup, "Untimed steps first")->capture_default_str();
  train_cmd->add_flag("--forward-only", train->forward_only, "Time inference forward passes (eval mode, no graph)");
  train_cmd->add_option("--json", train->json, "Also write the results as JSON");
  train_cmd->add_flag("--force", train->force, "Replace an existing --json file");
  return {bench, [ops, train, cmd] { return cmd->parsed() ? bench_ops(*ops) : bench_train(*train); }};
}

}  // namespace heatmark::cli
