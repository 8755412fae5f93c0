#include "tensor/profiler.h"

#include <atomic>
#include <chrono>
#include <mutex>

#if HEATMARK_HAS_CUDA
#include <nvtx3/nvToolsExt.h>

#include "cuda/runtime/stream.h"
#endif

namespace heatmark::profiler {

namespace {
std::atomic<bool> timing_on{false};
std::mutex totals_mutex;
Totals running_totals;
thread_local int depth = 0;  // open OpScopes on this thread
thread_local std::vector<Conv2dShape>* conv_trace = nullptr;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void wait_for_device(Device device) {
#if HEATMARK_HAS_CUDA
  if (device.is_cuda()) cuda::synchronize();
#else
  (void)device;
#endif
}

void push_range(const char* name) {
#if HEATMARK_HAS_CUDA
  nvtxRangePushA(name);
#else
  (void)name;
#endif
}

void pop_range() {
#if HEATMARK_HAS_CUDA
  nvtxRangePop();
#endif
}
}  // namespace

const char* kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::ConvForward: return "conv forward";
    case OpKind::ConvBackward: return "conv backward";
    case OpKind::BatchNorm: return "batch norm";
    case OpKind::Resample: return "upsample, concat";
    case OpKind::Elementwise: return "elementwise (ReLU, add)";
    case OpKind::Loss: return "targets, soft-argmax, loss";
    case OpKind::Optimizer: return "optimizer";
    case OpKind::Other: return "other";
  }
  return "?";
}

void set_timing(bool on) { timing_on.store(on); }
bool timing() { return timing_on.load(std::memory_order_relaxed); }

Totals totals() {
  std::lock_guard lock(totals_mutex);
  return running_totals;
}

void reset() {
  std::lock_guard lock(totals_mutex);
  running_totals = Totals{};
}

OpScope::OpScope(const char* name, OpKind kind, Device device) : name_(name), kind_(kind), device_(device) {
  push_range(name);
  if (depth++ == 0 && timing()) {
    timed_ = true;
    wait_for_device(device_);
    start_ns_ = now_ns();
  }
}

OpScope::~OpScope() {
  --depth;
  if (timed_) {
    wait_for_device(device_);
    const double ms = static_cast<double>(now_ns() - start_ns_) * 1e-6;
    std::lock_guard lock(totals_mutex);
    running_totals.milliseconds[static_cast<int>(kind_)] += ms;
    ++running_totals.calls[static_cast<int>(kind_)];
    OpTotal& op = running_totals.by_op[name_];
    op.kind = kind_;
    op.milliseconds += ms;
    ++op.calls;
  }
  pop_range();
}

void set_conv_trace(std::vector<Conv2dShape>* sink) { conv_trace = sink; }

void trace_conv(const Conv2dShape& shape) {
  if (conv_trace) conv_trace->push_back(shape);
}

NamedRange::NamedRange(const char* name) { push_range(name); }
NamedRange::~NamedRange() { pop_range(); }

}  // namespace heatmark::profiler
