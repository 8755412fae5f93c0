// The emulator's runtime interface: what sim.h (the CUDA API seen by kernel
// source) calls into. Kernel code never includes this directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace heatmark::sim {

// CUDA's launch-configuration types, as in vector_types.h.
struct uint3 {
  unsigned int x, y, z;
};
struct dim3 {
  unsigned int x = 1, y = 1, z = 1;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return {x, y, z}; }
};

// A place in kernel source: the function, file and line of a barrier or warp op.
struct Site {
  const char* function;
  const char* file;
  int line;
};

// Order in which the threads of a block run between synchronisation points.
// Real GPUs give no order; running threads forward, in reverse or shuffled
// makes a missing __syncthreads produce wrong results instead of hiding.
enum class Schedule { Forward, Reverse, Random };
void set_schedule(Schedule schedule, uint64_t seed = 0);
Schedule schedule();
// Reads HEATMARK_SIM_SCHEDULE=forward|reverse|random[:seed] (called at start-up).
void schedule_from_environment();

// A kernel bug the emulator detected (divergent barrier, warp-mask misuse,
// deadlock, bad launch configuration). The message names the kernel, block,
// thread and source line.
class KernelFault : public Error {
 public:
  using Error::Error;
};

// Shared memory per block on sm_90: 48 KiB unless the kernel opts in with
// cudaFuncAttributeMaxDynamicSharedMemorySize, and at most 227 KiB.
inline constexpr size_t kDefaultSharedBytes = 48 * 1024;
inline constexpr size_t kMaxSharedBytes = 227 * 1024;

struct LaunchInfo {
  std::string kernel;  // demangled kernel name
  std::string where;   // the launch site
  const void* function = nullptr;
  dim3 grid, block;
  size_t dynamic_shared_bytes = 0;
  size_t max_dynamic_shared_bytes = 0;  // the kernel's opt-in (0: none), filled in by run_grid
  bool traced = false;                  // the kernel is the memory model's traced copy (memory_model.h)
  std::function<void()> body;           // calls the kernel with its arguments
};

// cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
// bytes): false (cudaErrorInvalidValue) when bytes is over the device's limit.
bool set_max_dynamic_shared_bytes(const void* kernel, int bytes);

// Runs every block of a launch (blocks in parallel over the CPU threads,
// threads of a block as fibers). Throws KernelFault on a detected bug.
void run_grid(LaunchInfo launch);

// ---- called from kernel code (on a fiber) --------------------------------------

enum class WarpOp { ShuffleIndex, ShuffleUp, ShuffleDown, ShuffleXor, Ballot, Any, All, SyncWarp };

void syncthreads(Site site);
// One lane's part in a warp-wide operation; returns this lane's result.
uint64_t warp_op(WarpOp op, uint32_t mask, uint64_t value, int param, int width, Site site);
unsigned char* dynamic_shared_memory();

// ---- the inventory of emulated kernels -------------------------------------------

struct KernelRecord {
  std::string kernel;
  uint64_t launches = 0, blocks = 0, threads = 0;
};
std::vector<KernelRecord> launched_kernels();  // sorted by name

}  // namespace heatmark::sim

// The CUDA built-in variables, per OS thread: the scheduler sets threadIdx on
// every switch to a fiber, and the others at the start of each block.
extern thread_local constinit heatmark::sim::uint3 threadIdx;
extern thread_local constinit heatmark::sim::uint3 blockIdx;
extern thread_local constinit heatmark::sim::dim3 blockDim;
extern thread_local constinit heatmark::sim::dim3 gridDim;
