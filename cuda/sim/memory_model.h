// The emulator as a memory-traffic model: what a GPU profiler (Nsight
// Compute) would say about each kernel's global and shared memory accesses.
//
// How it works. Every kernel file is compiled a second time for the emulator,
// into heatmark::emu_traced, with GCC's outline address instrumentation
// (-fsanitize=kernel-address with a call per access): each load and store
// then calls a __asan_{load,store}N_noabort function, defined in
// memory_model.cpp, with the address and, as its return address, the
// instruction that made the access. The threads of a block run one at a time
// between barriers, so the k-th execution of one instruction by each lane of
// a warp is one warp-level request, as the hardware issues it:
//   - a global request touches some 32-byte sectors; the fewest it could
//     touch is its distinct bytes / 32, rounded up (coalescing efficiency);
//   - a shared request is served in as many wavefronts as the most distinct
//     4-byte words that fall in one of the 32 banks; the fewest is its
//     distinct words / 32, rounded up (the excess is the bank conflict).
// Figures are kept per kernel and per instruction, and reported per source
// line (the traced copy carries line tables). The normal emulated kernels
// (heatmark::emu) are not instrumented, so the emulator stays fast while the
// model is off; set_memory_model(true) routes launches to the traced copy.
//
// GCC checks an address once per basic block, so a read-modify-write (+=)
// counts as its load only.
//
// Global memory is what the emulated device allocated (register_allocation);
// shared memory is a block's dynamic buffer and its static __shared__
// variables, which the emulator keeps in thread-local storage. Accesses to
// anything else (a thread's own stack, kernel parameters) are not counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace heatmark::sim {

// True in builds that compiled the traced copy (GCC without sanitizers).
bool memory_model_built();
// Routes emulated launches of the op dispatch to the traced copy (and back).
// Throws heatmark::Error in builds without the model.
void set_memory_model(bool on);
bool memory_model_enabled();

// The emulated device's allocations: global memory for the model.
void register_allocation(const void* begin, size_t bytes);
void unregister_allocation(const void* begin);

// The figures of one source line: its global loads, global stores, shared
// loads or shared stores.
struct MemoryLine {
  enum class Space { Global, Shared } space = Space::Global;
  bool store = false;
  std::string location;  // file:line
  std::string function;  // the function the line is in (after inlining, the innermost)
  uint64_t requests = 0;
  uint64_t transactions = 0;  // global: 32-byte sectors; shared: wavefronts
  uint64_t ideal = 0;         // the fewest transactions these requests could have taken
  uint64_t bytes = 0;         // bytes the lanes asked for
  // Global: sectors per request; shared: wavefronts per request.
  double per_request() const { return requests ? double(transactions) / double(requests) : 0.0; }
  // 1.0 when every request took the fewest transactions possible.
  double efficiency() const { return transactions ? double(ideal) / double(transactions) : 1.0; }
};

struct KernelMemory {
  std::string kernel;
  uint64_t blocks = 0;
  size_t static_shared_bytes = 0;  // the span of static __shared__ memory one block touched (the most of any block)
  std::vector<MemoryLine> lines;   // sorted by wasted transactions (transactions - ideal), worst first

  // Totals over the lines of one space and direction.
  MemoryLine total(MemoryLine::Space space, bool store) const;
  // Bytes that moved between the SMs and L2: every global sector, 32 bytes.
  uint64_t global_bytes_moved() const;
};

// Everything recorded since the last reset, one entry per kernel, sorted by
// name. Source lines are looked up here (not while recording).
std::vector<KernelMemory> memory_report();
void reset_memory_report();

// The figures of one kernel in memory_report(); throws heatmark::Error when
// it was not recorded.
KernelMemory memory_of(const std::string& kernel);

// The kernel's name without its namespace and parameter list.
std::string short_kernel_name(const std::string& kernel);

// A table of the report, a row per kernel: global loads and stores (sectors
// per request, efficiency), shared loads and stores (wavefronts per request,
// conflict degree: wavefronts over the fewest possible), bytes moved; under
// each kernel its `worst_lines` lines that waste the most transactions.
std::string format_memory_report(const std::vector<KernelMemory>& report, int worst_lines);

// ---- used by the block runner ------------------------------------------------------

// The recorder of the calling OS thread, active while a traced block runs.
class BlockTrace {
 public:
  static BlockTrace& for_this_thread();

  void begin(const std::string* kernel, const unsigned char* dynamic_shared, size_t dynamic_bytes);
  // The thread (fiber) that runs next, and its stack (its accesses are not counted).
  void set_thread(int thread, const void* stack_bottom, size_t stack_bytes);
  // At a released barrier: every lane has made its accesses up to here.
  void end_interval();
  // Merges the block's figures into the report; returns the static shared span.
  size_t end();
  // Stops recording without reporting (a faulted block).
  void abandon();

  void record(uintptr_t address, unsigned size, bool store, uintptr_t instruction);

 private:
  struct Access {
    uintptr_t instruction, address;
    uint32_t occurrence;  // the k-th execution of this instruction by this thread (set at the interval's end)
    uint16_t thread;
    uint16_t size;
    uint8_t kind;  // bit 0: store, bit 1: shared
  };
  struct Totals {
    uint64_t requests = 0, transactions = 0, ideal = 0, bytes = 0;
  };
  // One warp-level request: the accesses [first, last) of one instruction's
  // k-th execution by the lanes of one warp.
  void add_request(const Access* first, const Access* last);

  const std::string* kernel_ = nullptr;
  int thread_ = 0;
  uintptr_t stack_begin_ = 0, stack_end_ = 0;
  uintptr_t dynamic_begin_ = 0, dynamic_end_ = 0;
  uintptr_t tls_begin_ = 0, tls_end_ = 0;
  uintptr_t builtins_[4] = {};  // &threadIdx, &blockIdx, &blockDim, &gridDim
  uintptr_t static_shared_min_ = UINTPTR_MAX, static_shared_max_ = 0;
  uintptr_t cached_begin_ = 0, cached_end_ = 0;  // the device allocation last hit
  std::vector<Access> accesses_;                  // of the current interval, in execution order
  std::map<std::pair<uintptr_t, uint8_t>, Totals> sites_;  // (instruction, kind) of this block
  bool active_ = false;
};

}  // namespace heatmark::sim
