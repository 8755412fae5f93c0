// Loading oneDNN (tensor/cpu/vendor/onednn.h): which file, which version, and
// which threads it runs on.
#include "tensor/cpu/vendor/onednn_library.h"

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/error.h"
#include "tensor/cpu/vendor/onednn.h"
#include "tensor/parallel.h"

namespace heatmark::onednn {

namespace {

// The file HEATMARK_ONEDNN_LIBRARY names, else the soname of the oneDNN
// major version this build's headers describe (the C API changed between
// majors: a libdnnl.so.3 does not serve a build made with oneDNN 2's
// headers), then the development symlink.
std::vector<std::string> library_candidates() {
  if (const char* path = std::getenv("HEATMARK_ONEDNN_LIBRARY"); path && *path) return {path};
  return {fmt::format("libdnnl.so.{}", DNNL_VERSION_MAJOR), "libdnnl.so"};
}

const std::string kRemedy = fmt::format(
    "install oneDNN {} (apt-get install libdnnl-dev) or set HEATMARK_ONEDNN_LIBRARY to its libdnnl.so.{}, "
    "or use --kernels handwritten",
    DNNL_VERSION_MAJOR, DNNL_VERSION_MAJOR);

const char* runtime_name(unsigned runtime) {
  switch (runtime) {
    case DNNL_RUNTIME_OMP: return "OpenMP";
    case DNNL_RUNTIME_TBB: return "TBB";
    case DNNL_RUNTIME_SEQ: return "sequential";
    case DNNL_RUNTIME_THREADPOOL: return "threadpool";
    default: return "unknown threading";
  }
}

// The OpenMP runtime oneDNN's parallel regions run on, as its
// omp_set_num_threads. libdnnl.so needs libgomp.so.1, and its calls bind to
// the first definition the loader finds. In a shared build that is the
// libgomp heatmark links: one runtime, one pool, and --threads already holds.
// A static build (HEATMARK_STATIC) carries its own libgomp, exported for
// exactly this (cmake/HeatmarkDependencies.cmake), so oneDNN joins it. A
// program that does not export it leaves oneDNN on a second runtime, whose
// thread count this function's result sets. But a runtime split between the
// two could race without a sign (a barrier called in the runtime that did not
// start the team does nothing): refused.
decltype(&::omp_set_num_threads) openmp_runtime(const DynamicLibrary& library) {
  // What libdnnl.so 2.6 imports from libgomp (nm -D --undefined-only), and
  // the one heatmark calls.
  static const char* const kFunctions[] = {"GOMP_parallel",       "GOMP_barrier",       "omp_get_max_threads",
                                           "omp_get_num_threads", "omp_get_thread_num", "omp_in_parallel",
                                           "omp_set_num_threads"};
  const void* runtime = loaded_object_of(library.binding(kFunctions[0]));
  for (const char* name : kFunctions)
    HM_CHECK(loaded_object_of(library.binding(name)) == runtime,
             "oneDNN: its OpenMP calls would reach two OpenMP runtimes ({} is not where GOMP_parallel is); "
             "a static build must export every libgomp function libdnnl uses (cmake/HeatmarkDependencies.cmake), "
             "or use --kernels handwritten",
             name);
  return reinterpret_cast<decltype(&::omp_set_num_threads)>(library.binding("omp_set_num_threads"));
}

}  // namespace

Api::Api() {
  try {
    library = std::make_unique<DynamicLibrary>(library_candidates(), std::vector<std::string>{}, kRemedy);
  } catch (const Error& e) {
    fail("oneDNN: {}", e.what());
  }
  dnnl_version = reinterpret_cast<decltype(dnnl_version)>(library->symbol("dnnl_version"));
  const dnnl_version_t* v = dnnl_version();
  HM_CHECK(v->major == DNNL_VERSION_MAJOR,
           "oneDNN: {} is oneDNN {}.{}.{}, but this build uses the C API of oneDNN {}; {}", library->path(), v->major,
           v->minor, v->patch, DNNL_VERSION_MAJOR, kRemedy);
#define HM_ONEDNN_RESOLVE(name) name = reinterpret_cast<decltype(name)>(library->symbol(#name));
  HM_ONEDNN_FUNCTIONS(HM_ONEDNN_RESOLVE)
#undef HM_ONEDNN_RESOLVE
  if (v->cpu_runtime == DNNL_RUNTIME_OMP) set_runtime_threads = openmp_runtime(*library);
  // Not check(): that reaches api(), which is what is being built.
  const dnnl_status_t status = dnnl_engine_create(&engine, dnnl_cpu, 0);
  HM_CHECK(status == dnnl_success, "oneDNN: cannot create the CPU engine: {}", dnnl_status2str(status));
}

const Api& api() {
  // Never unloaded (nor the engine destroyed): oneDNN's OpenMP threads and
  // caches live until the process ends, and unloading a library whose
  // threads are parked is unsafe. A static whose initialiser throws is simply
  // tried again on the next call.
  static const Api* const loaded = new Api();
  return *loaded;
}

void check(dnnl_status_t status, const char* what) {
  if (status != dnnl_success) fail("oneDNN error in {}: {}", what, api().dnnl_status2str(status));
}

void use_heatmark_threads() {
  if (api().set_runtime_threads) api().set_runtime_threads(num_threads());
}

bool built_in() { return true; }

std::string version() {
  const dnnl_version_t* v = api().dnnl_version();
  return fmt::format("oneDNN {}.{}.{} ({})", v->major, v->minor, v->patch, runtime_name(v->cpu_runtime));
}

std::string report() {
  try {
    return version();
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace heatmark::onednn

#if defined(__SANITIZE_ADDRESS__)  // GCC
#define HM_ONEDNN_ASAN 1
#elif defined(__has_feature)  // clang (the fuzz build)
#if __has_feature(address_sanitizer)
#define HM_ONEDNN_ASAN 1
#endif
#endif

#if HM_ONEDNN_ASAN
// The sanitizer build (HEATMARK_SANITIZE): GCC 12's LeakSanitizer takes some
// dynamic TLS blocks (those of dlopen'ed libraries: libdnnl.so, the libgomp
// it brings) for glibc 2.19's, reads a bogus range from before them and
// crashes scanning it at exit (google/sanitizers#1322; clang up to 16 too).
// Its __tls_get_addr interceptor, which finds those blocks, is therefore off
// by default in a program with oneDNN; ASAN_OPTIONS can still turn it on.
extern "C" __attribute__((visibility("default"), used)) const char* __asan_default_options() {
  return "intercept_tls_get_addr=0";
}
#endif
