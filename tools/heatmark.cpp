// The heatmark command line: one program, one subcommand per job (see
// tools/commands.h). Any heatmark::Error is printed as one line and the
// program exits with status 1.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "base/error.h"
#include "cuda/info.h"
#include "data/text.h"
#include "heatmark/version.h"
#include "tensor/cpu/vendor/onednn.h"
#include "tensor/parallel.h"
#include "tools/commands.h"
#if HEATMARK_HAS_CUDA
#include "cuda/vendor/vendor.h"
#endif

namespace heatmark {

namespace {
std::string version_text() {
  std::string cuda = cuda::built_with_cuda()
                         ? fmt::format("CUDA {} built in; {}", cuda::toolkit_version(), cuda::device_summary())
                         : std::string("CPU-only build (CUDA not built in)");
#if HEATMARK_HAS_CUDA
  cuda += "\nvendor kernels: " + vendor::report();
#endif
  return fmt::format("heatmark {}\n{}\nCPU threads: {}, CPU kernels: {}\nCPU vendor kernels: {}", HEATMARK_VERSION,
                     cuda, num_threads(), cpu_kernels(), onednn::report());
}
}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"heatmark: landmark detection on X-ray images with a from-scratch C++/CUDA HRNet trainer"};
  app.require_subcommand(0, 1);
  // A callback, so that only --version probes the driver and the vendor
  // libraries: every other command starts without touching them.
  app.set_version_flag("--version", version_text);
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (default: all cores, or OMP_NUM_THREADS)")
      ->check(cli::number_in(0, 1024, "0: all cores"));

  const std::vector<cli::Command> commands{cli::add_synth(app),   cli::add_train(app),       cli::add_predict(app),
                                           cli::add_eval(app),    cli::add_inspect(app),     cli::add_import_timm(app),
                                           cli::add_bench(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0 (CLI11 prints them). A bad flag or value
    // is one error line and exit status 1, like every other refused input
    // (CLI11's own codes are 100 and up).
    if (e.get_exit_code() == 0) return app.exit(e);
    throw Error(fmt::format("{} (see heatmark --help)", e.what()));
  }
  if (threads > 0) set_num_threads(threads);
  init_cpu_runtime();     // a bad HEATMARK_CPU_KERNELS is refused before any work,
  cuda::cuda_required();  // and a bad HEATMARK_REQUIRE_CUDA
  for (const cli::Command& command : commands)
    if (*command.app) return command.run();
  std::fputs(app.help().c_str(), stdout);
  return 0;
}

}  // namespace heatmark

namespace {

// Errors are one line: control characters that came from a file (a label or
// key holding "\n") and bytes that are not UTF-8 are printed escaped, as \n or \xNN.
void print_error(const char* kind, const char* message) {
  const std::string line = heatmark::printable(message);
  std::fflush(stdout);  // what was printed before comes before the error
  std::fprintf(stderr, "heatmark: %s: %s\n", kind, line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  // Past a file size limit (ulimit -f), a write fails with EFBIG and a clear
  // error instead of the signal killing the process mid-file.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return heatmark::run(argc, argv);
  } catch (const heatmark::Error& e) {
    print_error("error", e.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    // An operating-system refusal (permissions, a missing or read-only folder)
    // that no check caught first: still the user's to fix, and named.
    print_error("error", e.what());
    return 1;
  } catch (const std::exception& e) {
    print_error("internal error", e.what());
    return 2;
  }
}
