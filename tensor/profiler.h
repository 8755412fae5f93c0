// Where a training step spends its time, by kind of op, for `heatmark bench
// train`; and NVTX ranges, so Nsight Systems shows every op and layer.
//
// Every dispatch function in tensor/dispatch/ opens an OpScope. When timing
// is off (the default) a scope costs an NVTX push/pop (a no-op unless a
// profiler is attached) and one relaxed atomic load. When it is on, a scope on
// a CUDA device synchronises before and after, so that the time of
// asynchronous kernels lands on the op that launched them; this slows the
// step down and is meant for the breakdown only. Nested scopes (an op built on
// another) count once, for the outermost.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include <vector>

#include "base/device.h"
#include "base/op_shapes.h"

namespace heatmark::profiler {

enum class OpKind { ConvForward, ConvBackward, BatchNorm, Resample, Elementwise, Loss, Optimizer, Other };
inline constexpr int kOpKinds = 8;
const char* kind_name(OpKind kind);  // "conv forward", ...

struct OpTotal {
  OpKind kind = OpKind::Other;
  double milliseconds = 0;
  int64_t calls = 0;
};
struct Totals {
  std::array<double, kOpKinds> milliseconds{};
  std::array<int64_t, kOpKinds> calls{};
  std::map<std::string, OpTotal> by_op;  // by dispatch name ("conv2d_backward_input", ...)
};

void set_timing(bool on);
bool timing();
Totals totals();
void reset();

class OpScope {
 public:
  OpScope(const char* name, OpKind kind, Device device);
  ~OpScope();
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  const char* name_;
  OpKind kind_;
  Device device_;
  bool timed_ = false;
  int64_t start_ns_ = 0;
};

// While a trace is set, every conv2d forward on this thread appends its shape
// (`heatmark bench ops --model`: the real layers of a model, from one forward
// pass). Pass nullptr to stop.
void set_conv_trace(std::vector<Conv2dShape>* sink);
void trace_conv(const Conv2dShape& shape);

// An NVTX range with a layer's name (layers/), for the model's structure.
class NamedRange {
 public:
  explicit NamedRange(const char* name);
  ~NamedRange();
  NamedRange(const NamedRange&) = delete;
  NamedRange& operator=(const NamedRange&) = delete;
};

}  // namespace heatmark::profiler
