// The heatmark command line.
//
// Subcommands that exist today: bench. Each subcommand parses its flags with
// CLI11; any heatmark::Error is printed as one line and exits with status 1.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>

#include "cuda/info.h"
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
  return fmt::format("heatmark {}\n{}\nCPU threads: {}", HEATMARK_VERSION, cuda, num_threads());
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (threads > 0) set_num_threads(threads);

  if (*bench_ops_cmd) {
    bench_ops(ops);
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
