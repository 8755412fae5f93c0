// The heatmark command line: one program, one subcommand per job (see
// tools/commands.h). Any heatmark::Error is printed as one line and the
// program exits with status 1.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>

#include "cuda/info.h"
#include "heatmark/version.h"
#include "tensor/error.h"
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
  try {
    cuda += "\nvendor kernels: " + vendor::versions();
  } catch (const Error& e) {
    cuda += std::string("\nvendor kernels: unavailable (") + e.what() + ")";
  }
#endif
  return fmt::format("heatmark {}\n{}\nCPU threads: {}, OpenBLAS kernels: {}", HEATMARK_VERSION, cuda, num_threads(),
                     blas_kernels());
}
}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"heatmark: landmark detection on X-ray images with a from-scratch C++/CUDA HRNet trainer"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", version_text());
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (default: all cores, or OMP_NUM_THREADS)");

  const std::vector<cli::Command> commands{cli::add_synth(app),   cli::add_train(app),       cli::add_predict(app),
                                           cli::add_eval(app),    cli::add_inspect(app),     cli::add_import_timm(app),
                                           cli::add_bench(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (threads > 0) set_num_threads(threads);
  for (const cli::Command& command : commands)
    if (*command.app) return command.run();
  std::fputs(app.help().c_str(), stdout);
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
