#include "cuda/sim/block_runner.h"

#include "cuda/sim/memory_model.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>

#include <fmt/format.h>

// The CUDA built-in variables, set by the scheduler on every switch.
thread_local constinit heatmark::sim::uint3 threadIdx{};
thread_local constinit heatmark::sim::uint3 blockIdx{};
thread_local constinit heatmark::sim::dim3 blockDim{};
thread_local constinit heatmark::sim::dim3 gridDim{};

namespace heatmark::sim {

const char* warp_op_name(WarpOp op) {
  switch (op) {
    case WarpOp::ShuffleIndex: return "__shfl_sync";
    case WarpOp::ShuffleUp: return "__shfl_up_sync";
    case WarpOp::ShuffleDown: return "__shfl_down_sync";
    case WarpOp::ShuffleXor: return "__shfl_xor_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
    case WarpOp::SyncWarp: return "__syncwarp";
  }
  return "?";
}

namespace {

std::string site_text(const Site& s) { return fmt::format("{}:{} in {}", s.file, s.line, s.function); }

bool same_site(const Site& a, const Site& b) { return a.line == b.line && std::string_view(a.file) == b.file; }

// Thrown on a fiber by fault_in_fiber and caught at the bottom of that fiber.
struct FiberFault {
  std::string message;
};

// SplitMix64: a tiny seeded generator for the random schedule.
uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

BlockRunner& BlockRunner::for_this_thread() {
  thread_local BlockRunner runner;
  return runner;
}

std::string BlockRunner::thread_text(int t) const {
  const uint3 i = threads_[t].index;
  return fmt::format("thread ({}, {}, {})", i.x, i.y, i.z);
}

std::string BlockRunner::kernel_text() const {
  return fmt::format("kernel '{}' (launched from {}), block ({}, {}, {})", launch_->kernel, launch_->where, block_.x,
                     block_.y, block_.z);
}

void BlockRunner::raise(const std::string& what) {
  if (launch_->traced) BlockTrace::for_this_thread().abandon();
  for (int t = 0; t < count_; ++t)
    if (threads_[t].status != Status::Done) threads_[t].abandoned = true;
  throw KernelFault("emulator: " + what);
}

// ---- fibers -------------------------------------------------------------------------

void BlockRunner::fiber_main() {
  BlockRunner& self = for_this_thread();
  fiber_started(self.scheduler_);
  const bool ok = self.run_kernel_body();
  Thread& me = self.threads_[self.current_];
  me.status = ok ? Status::Done : Status::Faulted;
  switch_context(me.context, self.scheduler_, /*from_finishing=*/true);
  __builtin_unreachable();
}

// Runs the kernel on this fiber; false if it faulted (fault_ says why). A
// function of its own that returns normally, so no frame with sanitizer
// redzones stays on the stack when the fiber ends.
bool BlockRunner::run_kernel_body() {
  try {
    launch_->body();
    return true;
  } catch (FiberFault& fault) {
    fault_ = std::move(fault.message);
  } catch (const std::exception& e) {
    fault_ = fmt::format("exception in {}, {}: {}", kernel_text(), thread_text(current_), e.what());
  }
  return false;
}

void BlockRunner::resume(int t) {
  current_ = t;
  threadIdx = threads_[t].index;
  if (launch_->traced) BlockTrace::for_this_thread().set_thread(t, threads_[t].stack->bottom(), threads_[t].stack->size());
  switch_context(scheduler_, threads_[t].context);
}

void BlockRunner::yield() { switch_context(threads_[current_].context, scheduler_); }

void BlockRunner::fault_in_fiber(std::string message) { throw FiberFault{std::move(message)}; }

// ---- the block schedule -----------------------------------------------------------------

void BlockRunner::run(const LaunchInfo& launch, uint3 block, uint64_t schedule_seed) {
  launch_ = &launch;
  block_ = block;
  count_ = static_cast<int>(launch.block.x * launch.block.y * launch.block.z);
  fault_.clear();
  blockIdx = block;
  blockDim = launch.block;
  gridDim = launch.grid;
  // Exactly the launch's size, so ASan flags any access past its end; filled
  // with 0xff bytes (NaN as floats) so that reading shared memory before any
  // thread wrote it gives an obviously wrong answer.
  shared_.reset(launch.dynamic_shared_bytes ? new unsigned char[launch.dynamic_shared_bytes] : nullptr);
  if (shared_) std::memset(shared_.get(), 0xff, launch.dynamic_shared_bytes);
  warps_.assign((count_ + 31) / 32, WarpExchange{});
  if (launch.traced) BlockTrace::for_this_thread().begin(&launch.kernel, shared_.get(), launch.dynamic_shared_bytes);

  if (static_cast<int>(threads_.size()) < count_) threads_.resize(count_);
  for (int t = 0; t < count_; ++t) {
    Thread& th = threads_[t];
    if (!th.stack) th.stack = std::make_unique<FiberStack>(default_fiber_stack_size());
    if (th.abandoned) unpoison_stack(*th.stack);
    th.abandoned = false;
    th.index = {t % launch.block.x, t / launch.block.x % launch.block.y, t / (launch.block.x * launch.block.y)};
    th.status = Status::Runnable;
    make_context(th.context, *th.stack, &BlockRunner::fiber_main);
  }

  std::vector<int> order(count_);
  std::iota(order.begin(), order.end(), 0);
  const Schedule mode = schedule();
  if (mode == Schedule::Reverse) std::reverse(order.begin(), order.end());
  uint64_t rng = schedule_seed;

  while (true) {
    if (mode == Schedule::Random)  // a fresh permutation between every synchronisation round
      for (int i = count_ - 1; i > 0; --i) std::swap(order[i], order[splitmix(rng) % (i + 1)]);
    for (int t : order) {
      if (threads_[t].status != Status::Runnable) continue;
      resume(t);
      if (!fault_.empty()) raise(fault_);
    }
    const bool all_done = std::all_of(threads_.begin(), threads_.begin() + count_,
                                      [](const Thread& th) { return th.status == Status::Done; });
    if (all_done) {
      if (launch.traced) check_shared_memory(BlockTrace::for_this_thread().end());
      return;
    }
    const bool any_runnable = std::any_of(threads_.begin(), threads_.begin() + count_,
                                          [](const Thread& th) { return th.status == Status::Runnable; });
    if (!any_runnable) release_or_fault();
  }
}

void BlockRunner::release_or_fault() {
  int waiting = -1, exited = -1, in_warp_op = -1;
  for (int t = 0; t < count_; ++t) {
    const Status s = threads_[t].status;
    if (s == Status::AtBarrier && waiting < 0) waiting = t;
    if (s == Status::Done && exited < 0) exited = t;
    if (s == Status::AtWarpOp && in_warp_op < 0) in_warp_op = t;
  }

  if (in_warp_op < 0 && waiting >= 0) {
    const Site& barrier = threads_[waiting].site;
    int at_barrier = 0;
    for (int t = 0; t < count_; ++t) {
      if (threads_[t].status != Status::AtBarrier) continue;
      ++at_barrier;
      if (!same_site(threads_[t].site, barrier))
        raise(fmt::format("divergent __syncthreads in {}: {} waits at {} while {} waits at {}", kernel_text(),
                          thread_text(waiting), site_text(barrier), thread_text(t), site_text(threads_[t].site)));
    }
    if (exited >= 0)
      raise(fmt::format("divergent __syncthreads in {}: {} exited without reaching the barrier at {} where {} "
                        "other threads wait",
                        kernel_text(), thread_text(exited), site_text(barrier), at_barrier));
    if (launch_->traced) BlockTrace::for_this_thread().end_interval();
    for (int t = 0; t < count_; ++t)
      if (threads_[t].status == Status::AtBarrier) threads_[t].status = Status::Runnable;
    return;
  }

  // Some lanes wait in a warp operation that can never complete.
  const int warp = in_warp_op / 32;
  const WarpExchange& x = warps_[warp];
  const uint32_t missing = x.mask & ~x.arrived;
  const int lane = missing ? __builtin_ctz(missing) : 0;
  const int other = warp * 32 + lane;
  const std::string op = fmt::format("{}(mask {:#010x}) at {}", warp_op_name(x.op), x.mask, site_text(x.site));
  if (threads_[other].status == Status::Done)
    raise(fmt::format("warp-mask misuse in {}: lanes of warp {} wait in {}, but lane {} ({}) named in the mask has "
                      "exited",
                      kernel_text(), warp, op, lane, thread_text(other)));
  if (threads_[other].status == Status::AtBarrier)
    raise(fmt::format("deadlock in {}: lanes of warp {} wait in {}, but lane {} ({}) named in the mask waits at "
                      "__syncthreads at {}",
                      kernel_text(), warp, op, lane, thread_text(other), site_text(threads_[other].site)));
  raise(fmt::format("deadlock in {}: lanes of warp {} wait in {} for lane {} ({}), which waits elsewhere at {}",
                    kernel_text(), warp, op, lane, thread_text(other), site_text(threads_[other].site)));
}

// Static __shared__ variables are thread_local here, so their size is known
// only from what the traced copy saw a block touch: a real GPU refuses the
// launch when static and dynamic shared memory together pass its limits.
void BlockRunner::check_shared_memory(size_t static_bytes) {
  const size_t total = static_bytes + launch_->dynamic_shared_bytes;
  const size_t limit = std::max(kDefaultSharedBytes, launch_->max_dynamic_shared_bytes);
  if (total > limit)
    raise(fmt::format("invalid launch of {}: {} bytes of static and {} of dynamic shared memory, {} in all, is over "
                      "the {} bytes a block may use{}",
                      kernel_text(), static_bytes, launch_->dynamic_shared_bytes, total, limit,
                      launch_->max_dynamic_shared_bytes ? "" : " without cudaFuncAttributeMaxDynamicSharedMemorySize"));
}

// ---- synchronisation called from kernel code ---------------------------------------------

void BlockRunner::syncthreads(Site site) {
  Thread& me = threads_[current_];
  me.status = Status::AtBarrier;
  me.site = site;
  yield();
}

uint64_t BlockRunner::warp_op(WarpOp op, uint32_t mask, uint64_t value, int param, int width, Site site) {
  const int t = current_, warp = t / 32, lane = t % 32;
  const int lanes = std::min(32, count_ - warp * 32);
  const uint32_t existing = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
  auto misuse = [&](const std::string& what) {
    fault_in_fiber(fmt::format("warp-mask misuse in {}, {} (lane {} of warp {}) at {}: {}", kernel_text(),
                               thread_text(t), lane, warp, site_text(site), what));
  };
  if (!(mask & (1u << lane)))
    misuse(fmt::format("{} with mask {:#010x}, which does not include the calling lane", warp_op_name(op), mask));
  if (mask & ~existing)
    misuse(fmt::format("{} mask {:#010x} names lanes {:#010x} that do not exist (the block has {} threads)",
                       warp_op_name(op), mask, mask & ~existing, count_));
  if (width < 1 || width > 32 || (width & (width - 1)))
    misuse(fmt::format("{} width {} is not a power of two up to 32", warp_op_name(op), width));

  WarpExchange& x = warps_[warp];
  if (x.arrived == 0) {
    x.op = op;
    x.mask = mask;
    x.width = width;
    x.site = site;
    x.first_lane = lane;
  } else if (x.op != op || x.mask != mask || x.width != width) {
    misuse(fmt::format("{}(mask {:#010x}) while lane {} is in {}(mask {:#010x}) at {}", warp_op_name(op), mask,
                       x.first_lane, warp_op_name(x.op), x.mask, site_text(x.site)));
  }
  x.value[lane] = value;
  x.param[lane] = param;
  x.arrived |= 1u << lane;
  if (x.arrived == x.mask) {
    complete(x, warp);
  } else {
    threads_[t].status = Status::AtWarpOp;
    threads_[t].site = site;
    yield();
  }
  return x.result[lane];
}

// The last lane to arrive computes every lane's result and wakes the others.
void BlockRunner::complete(WarpExchange& x, int warp) {
  uint32_t ballot = 0;
  for (int l = 0; l < 32; ++l)
    if ((x.mask >> l & 1) && x.value[l]) ballot |= 1u << l;
  for (int l = 0; l < 32; ++l) {
    if (!(x.mask >> l & 1)) continue;
    const int segment = l & ~(x.width - 1);
    int source = l;
    switch (x.op) {
      case WarpOp::ShuffleIndex: source = segment + (x.param[l] & (x.width - 1)); break;
      case WarpOp::ShuffleUp: source = l - x.param[l] >= segment ? l - x.param[l] : l; break;
      case WarpOp::ShuffleDown: source = l + x.param[l] < segment + x.width ? l + x.param[l] : l; break;
      case WarpOp::ShuffleXor: {
        const int partner = l ^ x.param[l];
        source = partner >= segment && partner < segment + x.width ? partner : l;
        break;
      }
      default: break;
    }
    switch (x.op) {
      case WarpOp::Ballot: x.result[l] = ballot; break;
      case WarpOp::Any: x.result[l] = ballot != 0; break;
      case WarpOp::All: x.result[l] = ballot == x.mask; break;
      case WarpOp::SyncWarp: x.result[l] = 0; break;
      default:
        if (!(x.mask >> source & 1))
          fault_in_fiber(fmt::format("warp-mask misuse in {}, warp {} at {}: lane {} reads lane {} with {}, which "
                                     "is not in the mask {:#010x}",
                                     kernel_text(), warp, site_text(x.site), l, source, warp_op_name(x.op), x.mask));
        x.result[l] = x.value[source];
    }
  }
  for (int l = 0; l < 32; ++l) {
    const int t = warp * 32 + l;
    if ((x.mask >> l & 1) && t != current_) threads_[t].status = Status::Runnable;
  }
  x.arrived = 0;
}

// ---- the kernel-facing entry points -------------------------------------------------------

void syncthreads(Site site) { BlockRunner::for_this_thread().syncthreads(site); }

uint64_t warp_op(WarpOp op, uint32_t mask, uint64_t value, int param, int width, Site site) {
  return BlockRunner::for_this_thread().warp_op(op, mask, value, param, width, site);
}

unsigned char* dynamic_shared_memory() { return BlockRunner::for_this_thread().dynamic_shared_memory(); }

}  // namespace heatmark::sim
