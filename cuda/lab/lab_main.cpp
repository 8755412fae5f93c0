// heatmark_lab: validates every version of the lab's kernels against the CPU
// reference, then times them side by side.
//
//   heatmark_lab [--device emu|cuda] [--family NAME] [--shapes small|hrnet] [--repeat N]
//
// Under the emulator it validates only (emulated time says nothing about a
// GPU). On a GPU each version is timed with CUDA events, the median of
// --repeat runs, with the L2 cache flushed before every run, and compared
// with the vendor library (cuDNN) on the same shape. Exit status 1 if any
// version disagrees with the reference.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "cuda/info.h"
#include "cuda/lab/lab.h"
#include "cuda/sim/memory_model.h"
#include "tensor/cpu/batch_norm2d.h"
#include "tensor/cpu/conv2d.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

#if HEATMARK_HAS_CUDA
#include <cuda_runtime_api.h>

#include "cuda/runtime/check.h"
#include "cuda/runtime/timing.h"
#include "cuda/vendor/vendor.h"
#endif

// The version tables of the CUDA build, or (in a CPU-only build, where
// --device cuda is refused earlier) of the emulated one.
#if HEATMARK_HAS_CUDA
#define HM_CUDA_OR_EMU(table) ::heatmark::cuda::lab::table
#else
#define HM_CUDA_OR_EMU(table) ::heatmark::emu::lab::table
#endif

namespace heatmark::lab {

namespace {

struct Options {
  std::string device = "emu", family, shapes = "small";
  int repeat = 20;
  bool memory = false;  // the traced copy and the memory model's figures (emu only)
};

// A family's version table: of the CUDA build on a GPU; under the emulator,
// of the traced copy when the memory model's figures are asked for.
#if HEATMARK_HAS_MEMORY_MODEL
#define HM_LAB_VERSIONS(table, device, o) \
  ((device).is_cuda() ? HM_CUDA_OR_EMU(table)() : (o).memory ? emu_traced::lab::table() : emu::lab::table())
#else
#define HM_LAB_VERSIONS(table, device, o) ((device).is_cuda() ? HM_CUDA_OR_EMU(table)() : emu::lab::table())
#endif

// The memory model's figures of everything launched since the last reset,
// over all its kernels: global loads and stores in sectors per request and
// efficiency, shared loads and stores in conflict degree.
std::string memory_summary() {
  using Space = sim::MemoryLine::Space;
  sim::MemoryLine total[2][2];  // [space][store]
  for (const sim::KernelMemory& k : sim::memory_report())
    for (const Space space : {Space::Global, Space::Shared})
      for (const bool store : {false, true}) {
        const sim::MemoryLine t = k.total(space, store);
        sim::MemoryLine& sum = total[space == Space::Shared][store];
        sum.requests += t.requests;
        sum.transactions += t.transactions;
        sum.ideal += t.ideal;
      }
  auto global = [](const sim::MemoryLine& t) {
    return t.requests ? fmt::format("{:5.2f} {:4.0f}%", t.per_request(), 100 * t.efficiency()) : std::string("    -     -");
  };
  auto shared = [](const sim::MemoryLine& t) {
    return t.requests ? fmt::format("{:5.2f}x", double(t.transactions) / double(std::max<uint64_t>(1, t.ideal)))
                      : std::string("     -");
  };
  return fmt::format("{}  {}  {}  {}", global(total[0][0]), global(total[0][1]), shared(total[1][0]), shared(total[1][1]));
}

// ---- timing -------------------------------------------------------------------

// Median milliseconds of `run` on a GPU (L2 flushed before each), or -1 under the emulator.
double time_ms(Device device, int repeat, const std::function<void()>& run) {
  if (!device.is_cuda()) return -1;
#if HEATMARK_HAS_CUDA
  // The same timing as `heatmark bench ops` (cuda/runtime/timing.h).
  cuda::EventTimer timer;
  run();  // warm-up
  std::vector<double> ms;
  for (int r = 0; r < repeat; ++r) {
    cuda::flush_l2();
    timer.start();
    run();
    timer.stop();
    ms.push_back(timer.milliseconds());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
#else
  (void)repeat;
  (void)run;
  return -1;
#endif
}

// ---- comparison ------------------------------------------------------------------

// sum((a - b)^2) / sum(b^2)
double normalised_error(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return num / std::max(den, 1e-30);
}

constexpr double kTolerance = 1e-9;

Tensor random_tensor(const Shape& shape, Generator& gen, float low, float high, Device device) {
  Tensor t = Tensor::empty(shape);
  uniform_(t, gen, low, high);
  return t.to(device);
}

struct Row {
  std::string family, shape, version;
  double error, ms, work;  // work: GFLOP for convolutions, GB moved for batch norm
  double vendor_ms;
  bool flops;
  std::string memory = {};  // memory_summary() of the validation run, with --memory
};

void print(const Row& r) {
  std::string speed = "-", ratio = "-", time = r.ms < 0 ? "(emulated)" : fmt::format("{:.4f}", r.ms);
  if (r.ms > 0) speed = fmt::format("{:.1f} {}", r.work / (r.ms * 1e-3), r.flops ? "GFLOP/s" : "GB/s");
  if (r.ms > 0 && r.vendor_ms > 0) ratio = fmt::format("{:.2f}x", r.ms / r.vendor_ms);
  fmt::print("{:<24} {:<28} {:<40} {:>10.2e} {:>6} {:>11} {:>16} {:>10}", r.family, r.shape, r.version, r.error,
             r.error <= kTolerance ? "ok" : "WRONG", time, speed, ratio);
  if (!r.memory.empty()) fmt::print("  {}", r.memory);
  fmt::print("\n");
}

std::string conv_text(const Conv2dShape& s) {
  return fmt::format("{}x{}x{}x{} k{} s{} ->{}", s.N, s.C_in, s.H, s.W, s.kH, s.stride, s.C_out);
}

// ---- families ----------------------------------------------------------------------

bool conv2d_forward_family(const Options& o, Device device, const std::vector<Conv2dShape>& shapes) {
  bool ok = true;
  const auto versions = HM_LAB_VERSIONS(conv2d_forward_versions, device, o);
  for (const Conv2dShape& s : shapes) {
    Generator gen(1);
    const Tensor x = random_tensor({s.N, s.C_in, s.H, s.W}, gen, -1, 1, device);
    const Tensor w = random_tensor({s.C_out, s.C_in, s.kH, s.kW}, gen, -1, 1, device);
    std::vector<float> expected(s.N * s.C_out * s.OH * s.OW);
    cpu::conv2d_forward_direct(s, x.to(Device::cpu()).data(), w.to(Device::cpu()).data(), nullptr, expected.data());
    double vendor_ms = -1;
#if HEATMARK_HAS_CUDA
    if (device.is_cuda()) {
      Tensor y = Tensor::empty({s.N, s.C_out, s.OH, s.OW}, device);
      vendor_ms = time_ms(device, o.repeat, [&] { vendor::conv2d_forward(s, x.data(), w.data(), nullptr, y.data()); });
    }
#endif
    for (const auto& v : versions) {
      Tensor y = Tensor::empty({s.N, s.C_out, s.OH, s.OW}, device);
      sim::reset_memory_report();
      v.launch(s, x.data(), w.data(), y.data(), nullptr);
      const std::string memory = o.memory ? memory_summary() : "";
      const double error = normalised_error(y.to_vector(), expected);
      ok = ok && error <= kTolerance;
      const double ms = time_ms(device, o.repeat, [&] { v.launch(s, x.data(), w.data(), y.data(), nullptr); });
      print({"conv2d forward", conv_text(s), fmt::format("v{} {}", v.number, v.name), error, ms, s.flops() * 1e-9,
             vendor_ms, true, memory});
    }
  }
  return ok;
}

bool conv2d_backward_weight_family(const Options& o, Device device, const std::vector<Conv2dShape>& shapes) {
  bool ok = true;
  const auto versions = HM_LAB_VERSIONS(conv2d_backward_weight_versions, device, o);
  for (const Conv2dShape& s : shapes) {
    Generator gen(2);
    const Tensor x = random_tensor({s.N, s.C_in, s.H, s.W}, gen, -1, 1, device);
    const Tensor gy = random_tensor({s.N, s.C_out, s.OH, s.OW}, gen, -1, 1, device);
    std::vector<float> expected(s.C_out * s.gemm_k(), 0.0f);
    cpu::conv2d_backward_weight_direct(s, x.to(Device::cpu()).data(), gy.to(Device::cpu()).data(), expected.data());
    double vendor_ms = -1;
#if HEATMARK_HAS_CUDA
    if (device.is_cuda()) {
      Tensor gw = Tensor::zeros({s.C_out, s.C_in, s.kH, s.kW}, device);
      vendor_ms = time_ms(device, o.repeat, [&] { vendor::conv2d_backward_weight(s, x.data(), gy.data(), gw.data()); });
    }
#endif
    for (const auto& v : versions) {
      Tensor gw = Tensor::zeros({s.C_out, s.C_in, s.kH, s.kW}, device);
      Tensor workspace = Tensor::empty({v.workspace_floats ? v.workspace_floats(s) : 0}, device);
      sim::reset_memory_report();
      v.launch(s, x.data(), gy.data(), gw.data(), workspace.data(), nullptr);
      const std::string memory = o.memory ? memory_summary() : "";
      const double error = normalised_error(gw.to_vector(), expected);
      ok = ok && error <= kTolerance;
      const double ms = time_ms(device, o.repeat,
                                [&] { v.launch(s, x.data(), gy.data(), gw.data(), workspace.data(), nullptr); });
      print({"conv2d backward weight", conv_text(s), fmt::format("v{} {}", v.number, v.name), error, ms,
             s.flops() * 1e-9, vendor_ms, true, memory});
    }
  }
  return ok;
}

std::string bn_text(const BatchNormShape& s) { return fmt::format("N{} C{} HW{}", s.N, s.C, s.HW); }

bool batch_norm2d_family(const Options& o, Device device, const std::vector<BatchNormShape>& shapes) {
  bool ok = true;
  const auto forward = HM_LAB_VERSIONS(batch_norm2d_forward_versions, device, o);
  const auto backward = HM_LAB_VERSIONS(batch_norm2d_backward_versions, device, o);
  const float eps = 1e-5f;
  for (const BatchNormShape& s : shapes) {
    Generator gen(3);
    const Shape data{s.N, s.C, 1, s.HW}, channels{s.C};
    const Tensor x = random_tensor(data, gen, -2, 3, device), gy = random_tensor(data, gen, -1, 1, device);
    const Tensor gamma = random_tensor(channels, gen, 0.5f, 1.5f, device), beta = random_tensor(channels, gen, -1, 1, device);
    // CPU reference: forward outputs, then backward gradients.
    const Tensor xc = x.to(Device::cpu()), gyc = gy.to(Device::cpu()), gc = gamma.to(Device::cpu()), bc = beta.to(Device::cpu());
    std::vector<float> y(x.numel()), mean(s.C), invstd(s.C), gx(x.numel()), ggamma(s.C, 0.0f), gbeta(s.C, 0.0f);
    cpu::batch_norm2d_forward_train(s, xc.data(), gc.data(), bc.data(), y.data(), mean.data(), invstd.data(),
                                    static_cast<float*>(nullptr), static_cast<float*>(nullptr), 0.1, eps);
    cpu::batch_norm2d_backward_train(s, xc.data(), gc.data(), mean.data(), invstd.data(), gyc.data(), gx.data(),
                                     ggamma.data(), gbeta.data());
    std::vector<float> expected_backward = gx;
    expected_backward.insert(expected_backward.end(), ggamma.begin(), ggamma.end());
    expected_backward.insert(expected_backward.end(), gbeta.begin(), gbeta.end());
    const Tensor saved_mean = Tensor::from_vector(mean, channels, device), saved_invstd = Tensor::from_vector(invstd, channels, device);
    const double forward_gb = 3.0 * x.numel() * 4 * 1e-9, backward_gb = 4.0 * x.numel() * 4 * 1e-9;
    double vendor_forward_ms = -1, vendor_backward_ms = -1;
#if HEATMARK_HAS_CUDA
    if (device.is_cuda()) {
      Tensor out = Tensor::empty(data, device), g = Tensor::empty(data, device);
      Tensor m = Tensor::empty(channels, device), is = Tensor::empty(channels, device);
      Tensor rm = Tensor::zeros(channels, device), rv = Tensor::ones(channels, device);
      Tensor gg = Tensor::zeros(channels, device), gb = Tensor::zeros(channels, device);
      vendor_forward_ms = time_ms(device, o.repeat, [&] {
        vendor::batch_norm2d_forward_train(s, x.data(), gamma.data(), beta.data(), out.data(), m.data(), is.data(),
                                           rm.data(), rv.data(), 0.1f, eps);
      });
      vendor_backward_ms = time_ms(device, o.repeat, [&] {
        vendor::batch_norm2d_backward_train(s, x.data(), gamma.data(), m.data(), is.data(), gy.data(), eps, g.data(),
                                            gg.data(), gb.data());
      });
    }
#endif

    for (const auto& v : forward) {
      Tensor out = Tensor::empty(data, device), m = Tensor::empty(channels, device), is = Tensor::empty(channels, device);
      Tensor workspace = Tensor::empty({v.workspace_floats ? v.workspace_floats(s) : 0}, device);
      auto run = [&] { v.launch(s, x.data(), gamma.data(), beta.data(), out.data(), m.data(), is.data(), eps, workspace.data(), nullptr); };
      sim::reset_memory_report();
      run();
      const std::string memory = o.memory ? memory_summary() : "";
      const double error = normalised_error(out.to_vector(), y);
      ok = ok && error <= kTolerance;
      print({"batch_norm2d forward", bn_text(s), fmt::format("v{} {}", v.number, v.name), error, time_ms(device, o.repeat, run),
             forward_gb, vendor_forward_ms, false, memory});
    }
    for (const auto& v : backward) {
      Tensor g = Tensor::empty(data, device), gg = Tensor::zeros(channels, device), gb = Tensor::zeros(channels, device);
      Tensor workspace = Tensor::empty({v.workspace_floats ? v.workspace_floats(s) : 0}, device);
      sim::reset_memory_report();
      v.launch(s, x.data(), gamma.data(), saved_mean.data(), saved_invstd.data(), gy.data(), g.data(), gg.data(), gb.data(),
               workspace.data(), nullptr);
      const std::string memory = o.memory ? memory_summary() : "";
      std::vector<float> got = g.to_vector();
      for (const Tensor& t : {gg, gb}) {
        const std::vector<float> part = t.to_vector();
        got.insert(got.end(), part.begin(), part.end());
      }
      const double error = normalised_error(got, expected_backward);
      ok = ok && error <= kTolerance;
      const double ms = time_ms(device, o.repeat, [&] {
        v.launch(s, x.data(), gamma.data(), saved_mean.data(), saved_invstd.data(), gy.data(), g.data(), gg.data(),
                 gb.data(), workspace.data(), nullptr);
      });
      print({"batch_norm2d backward", bn_text(s), fmt::format("v{} {}", v.number, v.name), error, ms, backward_gb,
             vendor_backward_ms, false, memory});
    }
  }
  return ok;
}

}  // namespace

int run(int argc, char** argv) {
  Options o;
  CLI::App app{"heatmark kernel lab: validate and time every version of the lab kernels"};
  app.add_option("--device", o.device, "emu (validation only) or cuda")->check(CLI::IsMember({"emu", "cuda"}))->capture_default_str();
  app.add_option("--family", o.family, "Only conv2d_forward, conv2d_backward_weight or batch_norm2d");
  app.add_option("--shapes", o.shapes, "small (tests) or hrnet (HRNet-W32 layer shapes)")
      ->check(CLI::IsMember({"small", "hrnet"}))
      ->capture_default_str();
  app.add_option("--repeat", o.repeat, "Timed runs per version (median)")->capture_default_str();
  app.add_flag("--memory", o.memory,
               "With --device emu: each version's memory traffic as the emulator's model counts it (global sectors per "
               "request and efficiency, shared-memory bank-conflict degree)");
  CLI11_PARSE(app, argc, argv);
  HM_CHECK(!o.memory || o.device == "emu", "heatmark_lab --memory needs --device emu (the model runs on the emulator)");
  HM_CHECK(!o.memory || sim::memory_model_built(),
           "heatmark_lab --memory: this build has no memory model (it needs GCC and no sanitizer: HEATMARK_MEMORY_MODEL)");

  const Device device = Device::parse(o.device);
  cuda::cuda_required();  // a bad HEATMARK_REQUIRE_CUDA is refused here too
  HM_CHECK(!device.is_cuda() || cuda::device_count() > 0, "heatmark_lab --device cuda: {}", cuda::device_summary());
  const bool small = o.shapes == "small";
  const std::vector<Conv2dShape> convs =
      small ? std::vector<Conv2dShape>{Conv2dShape::make(2, 5, 9, 11, 7, 3, 3, 1, 1), Conv2dShape::make(1, 17, 8, 8, 9, 3, 3, 2, 1),
                                       Conv2dShape::make(1, 16, 12, 12, 70, 1, 1, 1, 0)}
            : std::vector<Conv2dShape>{Conv2dShape::make(1, 3, 256, 256, 64, 3, 3, 2, 1),   // stem 1
                                       Conv2dShape::make(1, 64, 128, 128, 64, 3, 3, 2, 1),  // stem 2
                                       Conv2dShape::make(1, 32, 64, 64, 32, 3, 3, 1, 1),    // W32 branch 1 at 256
                                       Conv2dShape::make(1, 128, 16, 16, 128, 3, 3, 1, 1),  // branch 3
                                       Conv2dShape::make(1, 256, 8, 8, 256, 3, 3, 1, 1),    // branch 4
                                       Conv2dShape::make(4, 32, 192, 192, 32, 3, 3, 1, 1)}; // branch 1 at 768, batch 4
  const std::vector<BatchNormShape> norms =
      small ? std::vector<BatchNormShape>{{2, 5, 63}, {3, 17, 16}, {1, 3, 4900}}
            : std::vector<BatchNormShape>{{1, 64, 128 * 128}, {4, 32, 192 * 192}, {4, 256, 24 * 24}};

  fmt::print("heatmark kernel lab on {} ({} shapes)\n", device.str(), o.shapes);
  fmt::print("{:<24} {:<28} {:<40} {:>10} {:>6} {:>11} {:>16} {:>10}", "family", "shape", "version", "error", "",
             "ms", "speed", "vs vendor");
  if (o.memory) fmt::print("  {:>5} {:>5}  {:>5} {:>5}  {:>6}  {:>6}", "ld s/r", "eff", "st s/r", "eff", "sh ld", "sh st");
  fmt::print("\n");
  bool ok = true;
  if (o.family.empty() || o.family == "conv2d_forward") ok = conv2d_forward_family(o, device, convs) && ok;
  if (o.family.empty() || o.family == "conv2d_backward_weight") ok = conv2d_backward_weight_family(o, device, convs) && ok;
  if (o.family.empty() || o.family == "batch_norm2d") ok = batch_norm2d_family(o, device, norms) && ok;
  fmt::print("{}\n", ok ? "every version agrees with the CPU reference" : "SOME VERSIONS DISAGREE WITH THE CPU REFERENCE");
  return ok ? 0 : 1;
}

}  // namespace heatmark::lab

int main(int argc, char** argv) {
  try {
    return heatmark::lab::run(argc, argv);
  } catch (const heatmark::Error& e) {
    std::fprintf(stderr, "heatmark_lab: error: %s\n", e.what());
    return 1;
  }
}
