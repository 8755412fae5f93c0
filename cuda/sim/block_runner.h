// BlockRunner: runs the threads of one CUDA block as fibers on one OS thread.
//
// Threads run one at a time, each until it reaches a synchronisation point
// (__syncthreads, a warp operation) or finishes; then the next runs. When
// every live thread waits at the same __syncthreads, all are released. A warp
// operation completes when the last lane named in its mask arrives: that lane
// computes every lane's result (the "per-warp exchange") and wakes the rest.
//
// Bugs become KernelFaults with the kernel, block, thread and source line:
//   divergent barrier   a thread exits, or waits at another __syncthreads,
//                       while others wait at a barrier;
//   warp-mask misuse    a lane outside its own mask, lanes disagreeing on the
//                       mask or operation, a mask naming lanes that do not
//                       exist or have exited, a shuffle reading a lane
//                       outside the mask;
//   deadlock            nobody can run and no barrier can be released.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cuda/sim/fiber.h"
#include "cuda/sim/runtime.h"

namespace heatmark::sim {

class BlockRunner {
 public:
  // The runner of the calling OS thread.
  static BlockRunner& for_this_thread();

  // Runs block `block` of `launch` to completion; throws KernelFault.
  void run(const LaunchInfo& launch, uint3 block, uint64_t schedule_seed);

  // Called from kernel code running on one of this runner's fibers.
  void syncthreads(Site site);
  uint64_t warp_op(WarpOp op, uint32_t mask, uint64_t value, int param, int width, Site site);
  unsigned char* dynamic_shared_memory() const { return shared_.get(); }

 private:
  enum class Status { Runnable, AtBarrier, AtWarpOp, Done, Faulted };

  struct Thread {
    std::unique_ptr<FiberStack> stack;
    Context context;
    uint3 index{};
    Status status = Status::Done;
    Site site{};           // where it waits
    bool abandoned = false;  // left mid-frame by a fault: unpoison its stack before reuse
  };

  struct WarpExchange {
    uint32_t arrived = 0, mask = 0;
    WarpOp op = WarpOp::SyncWarp;
    int width = 32, first_lane = 0;
    Site site{};
    uint64_t value[32] = {}, result[32] = {};
    int param[32] = {};
  };

  static void fiber_main();
  __attribute__((noinline)) bool run_kernel_body();
  void resume(int thread);
  void yield();
  // Reports a bug found on a fiber: throws, unwinding the kernel's frames to
  // fiber_main, which records the fault and hands control to the scheduler.
  [[noreturn]] void fault_in_fiber(std::string message);
  void complete(WarpExchange& exchange, int warp);
  void release_or_fault();  // called by the scheduler when no thread can run
  void check_shared_memory(size_t static_bytes);
  [[noreturn]] void raise(const std::string& what);
  std::string thread_text(int thread) const;
  std::string kernel_text() const;

  Context scheduler_;
  std::vector<Thread> threads_;
  std::vector<WarpExchange> warps_;
  std::unique_ptr<unsigned char[]> shared_;
  const LaunchInfo* launch_ = nullptr;
  uint3 block_{};
  int count_ = 0, current_ = -1;
  std::string fault_;
};

const char* warp_op_name(WarpOp op);

}  // namespace heatmark::sim
