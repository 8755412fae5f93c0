// The emulator's memory model (cuda/sim/memory_model.h): planted access
// patterns reported with their figures and their source lines, and the
// shared-memory limits of a real GPU.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cuda/device_memory.h"
#include "cuda/sim/memory_model.h"
#include "cuda/sim/runtime.h"

#if HEATMARK_HAS_MEMORY_MODEL
#include "tests/cuda/sim/memory_model_kernels.h"

namespace heatmark {
namespace {

namespace test = emu_traced::memory_test;
using Space = sim::MemoryLine::Space;

// Emulated device memory (the model counts only device memory as global).
struct DeviceFloats {
  explicit DeviceFloats(size_t n) : data(static_cast<float*>(device_allocate(Device::emu(), n * sizeof(float)))) {
    for (size_t i = 0; i < n; ++i) data[i] = float(i);
  }
  ~DeviceFloats() { device_release(Device::emu(), data); }
  float* data;
};

// The report of the one kernel whose name contains `name`.
sim::KernelMemory kernel_named(const std::string& name) {
  std::vector<sim::KernelMemory> found;
  for (sim::KernelMemory& k : sim::memory_report())
    if (k.kernel.find(name) != std::string::npos) found.push_back(std::move(k));
  REQUIRE_MESSAGE(found.size() == 1, "kernels named like ", name, ": ", found.size());
  return found[0];
}

// The report's line for `line` of the test kernels file, in one space and direction.
sim::MemoryLine line_of(const sim::KernelMemory& k, int line, Space space, bool store) {
  const std::string location = "tests/cuda/sim/memory_model_kernels.cu:" + std::to_string(line);
  for (const sim::MemoryLine& l : k.lines)
    if (l.location == location && l.space == space && l.store == store) return l;
  std::string seen;
  for (const sim::MemoryLine& l : k.lines) seen += " " + l.location;
  FAIL("no line ", location, " in the report of ", k.kernel, "; it has:", seen);
  return {};
}

}  // namespace

TEST_CASE("memory model: a coalesced copy takes the fewest sectors, loads and stores alike") {
  DeviceFloats x(64), y(64);
  sim::reset_memory_report();
  const int line = test::coalesced_copy(x.data, y.data, 2);
  const sim::KernelMemory k = kernel_named("coalesced_copy_kernel");
  for (const bool store : {false, true}) {
    const sim::MemoryLine l = line_of(k, line, Space::Global, store);
    CHECK(l.requests == 2);  // one per warp
    CHECK(l.transactions == 8);
    CHECK(l.per_request() == doctest::Approx(4.0));
    CHECK(l.efficiency() == doctest::Approx(1.0));
    CHECK(l.bytes == 256);
  }
  CHECK(k.global_bytes_moved() == 512);
  CHECK(k.total(Space::Shared, false).requests == 0);
  CHECK(y.data[37] == 37.0f);
}

TEST_CASE("memory model: an uncoalesced load is reported on its line, a sector per lane") {
  DeviceFloats x(32 * 64), y(64);
  sim::reset_memory_report();
  const int line = test::strided_load(x.data, y.data, 2);
  const sim::KernelMemory k = kernel_named("strided_load_kernel");
  const sim::MemoryLine load = line_of(k, line, Space::Global, false);
  CHECK(load.requests == 2);
  CHECK(load.per_request() == doctest::Approx(32.0));
  CHECK(load.efficiency() == doctest::Approx(4.0 / 32.0));
  // The worst line comes first; the store of the same line is coalesced.
  CHECK(k.lines.front().location == load.location);
  CHECK_FALSE(k.lines.front().store);
  CHECK(line_of(k, line, Space::Global, true).efficiency() == doctest::Approx(1.0));
  CHECK(y.data[1] == 32.0f);
}

TEST_CASE("memory model: a strided store is reported on its line") {
  DeviceFloats x(32), y(32 * 32);
  sim::reset_memory_report();
  const int line = test::strided_store(x.data, y.data, 1);
  const sim::KernelMemory k = kernel_named("strided_store_kernel");
  const sim::MemoryLine store = line_of(k, line, Space::Global, true);
  CHECK(store.requests == 1);
  CHECK(store.transactions == 32);
  CHECK(store.ideal == 4);
  CHECK(line_of(k, line, Space::Global, false).per_request() == doctest::Approx(4.0));
  CHECK(k.total(Space::Global, true).transactions == 32);
}

TEST_CASE("memory model: a broadcast load is one sector") {
  DeviceFloats x(32), y(32);
  sim::reset_memory_report();
  const int line = test::broadcast_load(x.data, y.data, 1);
  const sim::MemoryLine load = line_of(kernel_named("broadcast_load_kernel"), line, Space::Global, false);
  CHECK(load.transactions == 1);
  CHECK(load.efficiency() == doctest::Approx(1.0));
}

TEST_CASE("memory model: a 32-way shared-memory bank conflict is reported on its line, and padding removes it") {
  DeviceFloats x(32), y(32);
  sim::reset_memory_report();
  const int line = test::column_store_to_shared(x.data, y.data, /*padded=*/false);
  const sim::MemoryLine conflicted = line_of(kernel_named("column_store_to_shared_kernel<32>"), line, Space::Shared, true);
  CHECK(conflicted.requests == 1);
  CHECK(conflicted.transactions == 32);  // 32 wavefronts: one word per bank per wavefront
  CHECK(conflicted.ideal == 1);
  CHECK(y.data[0] == 31.0f);

  sim::reset_memory_report();
  test::column_store_to_shared(x.data, y.data, /*padded=*/true);
  const sim::KernelMemory padded = kernel_named("column_store_to_shared_kernel<33>");
  CHECK(line_of(padded, line, Space::Shared, true).transactions == 1);
  CHECK(padded.total(Space::Shared, false).transactions == 1);  // the read back, one lane per bank too
  CHECK(padded.static_shared_bytes >= 31 * 33 * 4 + 4);
}

TEST_CASE("memory model: static shared memory over 48 KiB is refused, naming the kernel") {
  DeviceFloats y(32);
  std::string message;
  try {
    test::static_shared_over_the_limit(y.data);
  } catch (const sim::KernelFault& fault) {
    message = fault.what();
  }
  INFO(message);
  CHECK(message.find("static_shared_over_the_limit_kernel") != std::string::npos);
  CHECK(message.find("53248 bytes of static and 0 of dynamic shared memory") != std::string::npos);
}

TEST_CASE("memory model: dynamic shared memory over 48 KiB needs the opt-in, and the opt-in has the device's limit") {
  DeviceFloats y(32);
  std::string message;
  try {
    test::dynamic_shared(y.data, 64 * 1024, 0);
  } catch (const sim::KernelFault& fault) {
    message = fault.what();
  }
  INFO(message);
  CHECK(message.find("dynamic_shared_kernel") != std::string::npos);
  CHECK(message.find("without cudaFuncAttributeMaxDynamicSharedMemorySize") != std::string::npos);
  CHECK(test::dynamic_shared(y.data, 64 * 1024, 64 * 1024));
  CHECK(y.data[5] == 5.0f);
  CHECK_FALSE(test::dynamic_shared(y.data, 64 * 1024, 228 * 1024));  // over sm_90's 227 KiB
}

TEST_CASE("memory model: the model is off by default and can be switched on") {
  CHECK(sim::memory_model_built());
  CHECK_FALSE(sim::memory_model_enabled());
  sim::set_memory_model(true);
  CHECK(sim::memory_model_enabled());
  sim::set_memory_model(false);
}

}  // namespace heatmark
#endif
