// heatmark bench ops: time every op of the harness on a backend.
#include <fmt/format.h>

#include <memory>

#include "cuda/info.h"
#include "tensor/error.h"
#include "tests/harness/op_harness.h"
#include "tools/commands.h"

namespace heatmark::cli {

namespace {
struct BenchOpsOptions {
  std::string op;
  std::string device = "cpu";
  std::string kernels = "handwritten";
  int repeat = 5;
};

// Times every registered op (or one) on its model-sized perf cases.
int bench_ops(const BenchOpsOptions& o) {
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
  return 0;
}
}  // namespace

Command add_bench(CLI::App& parent) {
  CLI::App* bench = parent.add_subcommand("bench", "Measure kernels");
  bench->require_subcommand(1);
  auto ops = std::make_shared<BenchOpsOptions>();
  CLI::App* cmd = bench->add_subcommand("ops", "Time forward and backward of every op (time, GFLOP/s)");
  cmd->add_option("--op", ops->op, "Only this op (e.g. conv2d)");
  cmd->add_option("--device", ops->device, "cpu, emu (kernels under the emulator: correctness, not speed) or cuda")
      ->capture_default_str();
  cmd->add_option("--kernels", ops->kernels, "On cuda: handwritten or vendor (cuDNN/cuBLAS)")
      ->check(CLI::IsMember({"handwritten", "vendor"}))
      ->capture_default_str();
  cmd->add_option("--repeat", ops->repeat, "Timed repeats (the median is shown)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return {cmd, [ops] { return bench_ops(*ops); }};
}

}  // namespace heatmark::cli
