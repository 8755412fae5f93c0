// Grid execution: blocks are spread over the CPU threads (the OpenMP pool),
// each block run by its OS thread's BlockRunner.

#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "cuda/sim/block_runner.h"
#include "cuda/symbol_name.h"

namespace heatmark::sim {

namespace {

std::atomic<Schedule> current_schedule{Schedule::Forward};
std::atomic<uint64_t> schedule_seed{0};

std::mutex attributes_mutex;
std::map<const void*, size_t>& dynamic_shared_opt_ins() {
  static std::map<const void*, size_t> bytes;
  return bytes;
}

std::mutex inventory_mutex;
std::map<std::string, KernelRecord>& inventory() {
  static std::map<std::string, KernelRecord> records;
  return records;
}

void check_configuration(const LaunchInfo& launch) {
  const dim3 g = launch.grid, b = launch.block;
  const uint64_t threads = uint64_t{b.x} * b.y * b.z;
  auto bad = [&](const std::string& what) {
    throw KernelFault(fmt::format("emulator: invalid launch of kernel '{}' from {}: {} (grid ({}, {}, {}), block "
                                  "({}, {}, {}), {} bytes of dynamic shared memory)",
                                  launch.kernel, launch.where, what, g.x, g.y, g.z, b.x, b.y, b.z,
                                  launch.dynamic_shared_bytes));
  };
  // The limits a real GPU enforces, so a launch that would fail there fails here.
  if (g.x == 0 || g.y == 0 || g.z == 0 || threads == 0) bad("empty grid or block");
  if (threads > 1024) bad("more than 1024 threads per block");
  if (b.z > 64) bad("block z dimension above 64");
  if (g.y > 65535 || g.z > 65535) bad("grid y or z dimension above 65535");
  if (launch.dynamic_shared_bytes > std::max(kDefaultSharedBytes, launch.max_dynamic_shared_bytes))
    bad(launch.max_dynamic_shared_bytes
            ? fmt::format("more dynamic shared memory than the {} bytes the kernel opted in to",
                          launch.max_dynamic_shared_bytes)
            : "more than 48 KiB of dynamic shared memory without cudaFuncAttributeMaxDynamicSharedMemorySize");
}

}  // namespace

bool set_max_dynamic_shared_bytes(const void* kernel, int bytes) {
  if (bytes < 0 || static_cast<size_t>(bytes) > kMaxSharedBytes) return false;
  std::lock_guard lock(attributes_mutex);
  dynamic_shared_opt_ins()[kernel] = static_cast<size_t>(bytes);
  return true;
}

void set_schedule(Schedule schedule, uint64_t seed) {
  current_schedule = schedule;
  schedule_seed = seed;
}

Schedule schedule() { return current_schedule; }

void schedule_from_environment() {
  const char* value = std::getenv("HEATMARK_SIM_SCHEDULE");
  if (!value) return;
  const std::string text = value;
  const std::string mode = text.substr(0, text.find(':'));
  const uint64_t seed = text.find(':') == std::string::npos ? 0 : std::strtoull(text.c_str() + text.find(':') + 1, nullptr, 10);
  if (mode == "forward") set_schedule(Schedule::Forward, seed);
  else if (mode == "reverse") set_schedule(Schedule::Reverse, seed);
  else if (mode == "random") set_schedule(Schedule::Random, seed);
  else fail("HEATMARK_SIM_SCHEDULE='{}': expected forward, reverse or random[:seed]", text);
}

void run_grid(LaunchInfo launch) {
  {
    std::lock_guard lock(attributes_mutex);
    const auto it = dynamic_shared_opt_ins().find(launch.function);
    launch.max_dynamic_shared_bytes = it == dynamic_shared_opt_ins().end() ? 0 : it->second;
  }
  // Read once, in a function-local static rather than std::call_once: an
  // exception cannot unwind through pthread_once in a static binary.
  static const bool environment_read = (schedule_from_environment(), true);
  (void)environment_read;
  check_configuration(launch);
  const dim3 g = launch.grid;
  const int64_t blocks = int64_t{g.x} * g.y * g.z;
  {
    std::lock_guard lock(inventory_mutex);
    KernelRecord& r = inventory()[launch.kernel];
    r.kernel = launch.kernel;
    r.launches += 1;
    r.blocks += blocks;
    r.threads += blocks * launch.block.x * launch.block.y * launch.block.z;
  }

  std::atomic<bool> failed{false};
  std::string first_fault;
  std::mutex fault_mutex;
  const uint64_t seed = schedule_seed;
  // Blocks are spread over the OpenMP threads (the CPU backend's pool); an OS
  // thread runs its blocks one after another.
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t b = 0; b < blocks; ++b) {
    if (failed) continue;
    const uint3 block{static_cast<unsigned>(b % g.x), static_cast<unsigned>(b / g.x % g.y),
                      static_cast<unsigned>(b / (int64_t{g.x} * g.y))};
    try {
      BlockRunner::for_this_thread().run(launch, block, seed * 0x100000001B3ull + static_cast<uint64_t>(b));
    } catch (const KernelFault& fault) {
      std::lock_guard lock(fault_mutex);
      if (!failed.exchange(true)) first_fault = fault.what();
    }
  }
  if (failed) throw KernelFault(first_fault);
}

std::vector<KernelRecord> launched_kernels() {
  std::lock_guard lock(inventory_mutex);
  std::vector<KernelRecord> records;
  for (const auto& [name, record] : inventory()) records.push_back(record);
  return records;
}

}  // namespace heatmark::sim
