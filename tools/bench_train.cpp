#include "tools/bench_train.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "cuda/device_memory.h"
#include "cuda/info.h"
#include "heatmark/version.h"
#include "hrnet/hrnet.h"
#include "layers/optimizer.h"
#include "tensor/output_paths.h"
#include "tensor/atomic_file.h"
#include "tensor/cpu/vendor/onednn.h"
#include "tensor/kernels.h"
#include "tensor/parallel.h"
#include "tensor/profiler.h"
#include "tensor/random.h"
#include "train/step.h"

#if HEATMARK_HAS_CUDA
#include "cuda/runtime/stream.h"
#endif

namespace heatmark::cli {

namespace {

using Clock = std::chrono::steady_clock;

void wait_for(Device device) {
#if HEATMARK_HAS_CUDA
  if (device.is_cuda()) cuda::synchronize();
#else
  (void)device;
#endif
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double peak_rss_mib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// The resident set now, from /proc/self/statm (its second field, in pages).
double current_rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1048576.0;
}

}  // namespace

int bench_train(const BenchTrainOptions& o) {
  HM_CHECK(o.steps > 0 && o.warmup >= 0, "bench train: --steps must be positive and --warmup not negative");
  HM_CHECK(o.input_size.width > 0 && o.input_size.width % 32 == 0 && o.input_size.height > 0 &&
               o.input_size.height % 32 == 0,
           "bench train: --input-size {} must have sides that are positive multiples of 32", o.input_size.str());
  HM_CHECK(o.batch > 0 && o.landmarks > 0, "bench train: --batch and --landmarks must be positive");
  if (!o.json.empty()) {
    output_format(o.json, "--json", {".json"});
    check_output_file(o.json, "--json", {}, o.force);
  }
  const Device device = cuda::usable_device(Device::parse(o.device));
  kernels::select_kernel_provider(o.kernels, device);

  // What the process holds before the model exists, so that peak memory can
  // also be compared net of start-up (PyTorch's import alone is ~100+ MiB).
  const double rss_before_model = current_rss_mib();

  HRNetConfig config = hrnet_preset(o.model);
  config.head = parse_head(o.head);
  config.input_size = o.input_size;
  config.num_landmarks = o.landmarks;
  HRNet model(config);
  model.to(device);
  const int64_t parameters = model.parameter_count();

  // Random images and landmarks, made once (the loader is not measured).
  Generator gen(7);
  const int64_t width = o.input_size.width, height = o.input_size.height;
  Tensor images = Tensor::empty({o.batch, config.in_channels, height, width});
  normal_(images, gen);
  Tensor landmarks = Tensor::empty({o.batch, o.landmarks, 2});
  // Inside the central 80 % of the smaller side: valid for any shape.
  const float side = static_cast<float>(std::min(width, height));
  uniform_(landmarks, gen, 0.1f * side, 0.9f * side);
  images = images.to(device);
  landmarks = landmarks.to(device);

  Adam optimizer(model.parameters(), AdamOptions{});
  const LossSettings loss_settings{o.input_size, 3.0, 20.0, 1.0, 0.5};
  if (o.forward_only) model.eval();
  auto step = [&] {
    if (o.forward_only) {
      NoGrad no_grad;
      const Tensor heatmaps = model.forward(images);
      wait_for(device);
      return;
    }
    const StepOutput out = forward_and_loss(model, images, landmarks, loss_settings);
    out.loss.total.backward();
    optimizer.step();
    optimizer.zero_grad();
    wait_for(device);
  };

  device_reset_peak(device);
  for (int i = 0; i < o.warmup; ++i) step();
  std::vector<double> ms;
  for (int i = 0; i < o.steps; ++i) {
    const Clock::time_point start = Clock::now();
    step();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  const AllocatorStats memory = device_memory_stats(device);

  // The breakdown: the same steps again, each op timed (and synchronised on a GPU).
  profiler::reset();
  profiler::set_timing(true);
  const Clock::time_point profiled_start = Clock::now();
  for (int i = 0; i < o.steps; ++i) step();
  const double profiled_ms = std::chrono::duration<double, std::milli>(Clock::now() - profiled_start).count() / o.steps;
  profiler::set_timing(false);
  const profiler::Totals totals = profiler::totals();

  const double step_ms = median(ms);
  const double images_per_s = 1000.0 * static_cast<double>(o.batch) / step_ms;
  const std::string what = o.forward_only ? "forward pass" : "training step";
  fmt::print("{} ({} head, {} parameters), input {}x{}, batch {}, {} landmarks, device {}{}, {} CPU threads\n",
             o.model, o.head, parameters, width, height, o.batch, o.landmarks, device.str(),
             device.is_emu() ? "" : ", kernels " + o.kernels, num_threads());
  fmt::print("{}: {:.2f} ms median of {} (min {:.2f}), {:.2f} images/s\n", what, step_ms, o.steps,
             *std::min_element(ms.begin(), ms.end()), images_per_s);
  if (device.is_cpu())
    fmt::print("configuration: heatmark {}, {} OpenMP threads, {} CPU kernels{}\n", HEATMARK_VERSION, num_threads(),
               cpu_kernels(),
               kernels::kernel_provider() == kernels::KernelProvider::Vendor ? ", conv on " + onednn::version() : "");
  fmt::print("peak host RSS {:.0f} MiB ({:.0f} MiB net of the {:.0f} MiB held before the model existed)",
             peak_rss_mib(), peak_rss_mib() - rss_before_model, rss_before_model);
  if (!device.is_cpu()) fmt::print(", peak {} memory {:.0f} MiB", device.str(), memory.peak_allocated / 1048576.0);
  fmt::print("\n\nby kind of op (a timed pass, {:.2f} ms per step{}):\n", profiled_ms,
             device.is_cuda() ? ", synchronised after every op" : "");
  double accounted = 0;
  nlohmann::json breakdown = nlohmann::json::object();
  for (int k = 0; k < profiler::kOpKinds; ++k) {
    const double per_step = totals.milliseconds[k] / o.steps;
    accounted += per_step;
    if (totals.calls[k] == 0) continue;
    const char* name = profiler::kind_name(static_cast<profiler::OpKind>(k));
    fmt::print("  {:<28} {:9.2f} ms  {:5.1f} %  {:5} calls\n", name, per_step, 100.0 * per_step / profiled_ms,
               totals.calls[k] / o.steps);
    breakdown[name] = {{"ms_per_step", per_step}, {"calls_per_step", totals.calls[k] / o.steps}};
  }
  fmt::print("  {:<28} {:9.2f} ms  {:5.1f} %\n", "outside ops (autograd, host)", profiled_ms - accounted,
             100.0 * (profiled_ms - accounted) / profiled_ms);

  // The same time by op (dispatch name), largest first.
  std::vector<std::pair<std::string, profiler::OpTotal>> ops(totals.by_op.begin(), totals.by_op.end());
  std::sort(ops.begin(), ops.end(),
            [](const auto& a, const auto& b) { return a.second.milliseconds > b.second.milliseconds; });
  fmt::print("\nthe {} most expensive ops:\n", std::min<size_t>(ops.size(), 12));
  nlohmann::json by_op = nlohmann::json::object();
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto& [name, op] = ops[i];
    const double per_step = op.milliseconds / o.steps;
    if (i < 12)
      fmt::print("  {:<28} {:9.2f} ms  {:5.1f} %  {:5} calls\n", name, per_step, 100.0 * per_step / profiled_ms,
                 op.calls / o.steps);
    by_op[name] = {{"kind", profiler::kind_name(op.kind)}, {"ms_per_step", per_step}, {"calls_per_step", op.calls / o.steps}};
  }

  if (!o.json.empty()) {
    nlohmann::json doc = {{"model", o.model},
                          {"head", o.head},
                          {"parameters", parameters},
                          {"model_config", to_json(config)},
                          {"input_size", o.input_size},
                          {"input_width", width},
                          {"input_height", height},
                          {"batch", o.batch},
                          {"landmarks", o.landmarks},
                          {"device", device.str()},
                          {"kernels", o.kernels},
                          {"threads", num_threads()},
                          {"mode", o.forward_only ? "forward" : "train"},
                          {"steps", o.steps},
                          {"ms_per_step", step_ms},
                          {"ms_all", ms},
                          {"images_per_s", images_per_s},
                          {"peak_rss_mib", peak_rss_mib()},
                          {"rss_before_model_mib", rss_before_model},
                          {"cpu_kernels", cpu_kernels()},
                          {"breakdown", breakdown},
                          {"by_op", by_op}};
    if (!device.is_cpu()) doc["peak_device_mib"] = memory.peak_allocated / 1048576.0;
    write_file_atomically(o.json, doc.dump(2) + "\n");
  }
  return 0;
}

}  // namespace heatmark::cli
