// conv2d on oneDNN's convolution primitives (tensor/cpu/vendor/onednn.h).
//
// oneDNN is fastest in its own blocked layouts (channels in blocks of 8 or
// 16, e.g. nChw8c on AVX2), which it picks when a primitive is described with
// `format_tag any`. So, as PyTorch's eager oneDNN path does, each call
// reorders its plain NCHW/OIHW inputs into the layouts the primitive chose,
// runs it, and reorders its output back (a step is skipped when the layouts
// already agree). The weight gradient's reorder back also adds into the
// gradient (a sum post-op): the accumulating (+=) contract in one pass.
//
// Creating a primitive descriptor and its primitive costs far more than a
// small convolution, so each direction of each shape is planned once: the
// descriptors, primitives and reorders are cached, keyed by the shape and
// the thread count (oneDNN splits the work by the thread count when it
// creates a primitive). Plans are immutable once made, and every call brings
// its own buffers and scratchpad (oneDNN's "user" scratchpad mode), so any
// number of threads may run the same plan at once.
#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "base/error.h"
#include "tensor/cpu/vendor/onednn.h"
#include "tensor/cpu/vendor/onednn_library.h"
#include "tensor/parallel.h"
#include "tensor/storage.h"

namespace heatmark::onednn {

namespace {

// ---- owning handles of oneDNN objects ----------------------------------------------------

struct DestroyPrimitiveDesc {
  void operator()(dnnl_primitive_desc_t p) const { api().dnnl_primitive_desc_destroy(p); }
};
struct DestroyPrimitive {
  void operator()(dnnl_primitive_t p) const { api().dnnl_primitive_destroy(p); }
};
struct DestroyAttr {
  void operator()(dnnl_primitive_attr_t p) const { api().dnnl_primitive_attr_destroy(p); }
};
struct DestroyPostOps {
  void operator()(dnnl_post_ops_t p) const { api().dnnl_post_ops_destroy(p); }
};
struct DestroyMemory {
  void operator()(dnnl_memory_t p) const { api().dnnl_memory_destroy(p); }
};
using PrimitiveDesc = std::unique_ptr<dnnl_primitive_desc, DestroyPrimitiveDesc>;
using Primitive = std::unique_ptr<dnnl_primitive, DestroyPrimitive>;
using Attr = std::unique_ptr<dnnl_primitive_attr, DestroyAttr>;
using PostOps = std::unique_ptr<dnnl_post_ops, DestroyPostOps>;
using Memory = std::unique_ptr<dnnl_memory, DestroyMemory>;

// ---- descriptors ---------------------------------------------------------------------------

dnnl_memory_desc_t memory_desc(const std::vector<int64_t>& dims, dnnl_format_tag_t tag) {
  dnnl_memory_desc_t md;
  dnnl_dims_t d{};
  for (size_t i = 0; i < dims.size(); ++i) d[i] = dims[i];
  HM_DNNL(dnnl_memory_desc_init_by_tag(&md, static_cast<int>(dims.size()), d, dnnl_f32, tag));
  return md;
}

size_t bytes_of(const dnnl_memory_desc_t& md) { return api().dnnl_memory_desc_get_size(&md); }

// Every primitive takes its scratchpad from the caller (thread safe), and an
// accumulating reorder adds into its destination: dst = reordered src + dst.
Attr make_attr(bool accumulate) {
  dnnl_primitive_attr_t raw = nullptr;
  HM_DNNL(dnnl_primitive_attr_create(&raw));
  Attr attr(raw);
  HM_DNNL(dnnl_primitive_attr_set_scratchpad_mode(raw, dnnl_scratchpad_mode_user));
  if (accumulate) {
    dnnl_post_ops_t ops_raw = nullptr;
    HM_DNNL(dnnl_post_ops_create(&ops_raw));
    const PostOps ops(ops_raw);
    HM_DNNL(dnnl_post_ops_append_sum(ops_raw, 1.0f));
    HM_DNNL(dnnl_primitive_attr_set_post_ops(raw, ops_raw));  // copies them
  }
  return attr;
}

// heatmark's layouts, and the "any" layouts a primitive may choose from.
struct ConvLayouts {
  dnnl_memory_desc_t x, w, y;  // (N, C_in, H, W), (C_out, C_in, kH, kW), (N, C_out, OH, OW)
};
ConvLayouts layouts(const Conv2dShape& s, dnnl_format_tag_t activations, dnnl_format_tag_t weights) {
  return {memory_desc({s.N, s.C_in, s.H, s.W}, activations), memory_desc({s.C_out, s.C_in, s.kH, s.kW}, weights),
          memory_desc({s.N, s.C_out, s.OH, s.OW}, activations)};
}
ConvLayouts plain_layouts(const Conv2dShape& s) { return layouts(s, dnnl_nchw, dnnl_oihw); }
ConvLayouts any_layouts(const Conv2dShape& s) { return layouts(s, dnnl_format_tag_any, dnnl_format_tag_any); }

// Symmetric padding. oneDNN checks OH = (H + pad_l + pad_r - kH) / stride + 1
// with the same rounding down as Conv2dShape, so pad_r = pad always fits.
struct Geometry {
  dnnl_dims_t strides{}, padding{};
  explicit Geometry(const Conv2dShape& s) {
    strides[0] = strides[1] = s.stride;
    padding[0] = padding[1] = s.pad;
  }
};

const dnnl_memory_desc_t& query(const PrimitiveDesc& pd, dnnl_query_t what) {
  const dnnl_memory_desc_t* md = api().dnnl_primitive_desc_query_md(pd.get(), what, 0);
  HM_CHECK(md != nullptr, "oneDNN: a convolution primitive descriptor answers no memory descriptor query {}",
           static_cast<int>(what));
  return *md;
}

PrimitiveDesc make_primitive_desc(const void* op_desc, const dnnl_primitive_desc_t hint) {
  const Attr attr = make_attr(false);
  dnnl_primitive_desc_t pd = nullptr;
  HM_DNNL(dnnl_primitive_desc_create(&pd, op_desc, attr.get(), api().engine, hint));
  return PrimitiveDesc(pd);
}

// The forward convolution's descriptor: the primitive itself, and the hint
// oneDNN creates the backward ones against.
PrimitiveDesc forward_primitive_desc(const Conv2dShape& s, bool bias) {
  const ConvLayouts any = any_layouts(s);
  const dnnl_memory_desc_t b = memory_desc({s.C_out}, dnnl_x);
  const Geometry g(s);
  dnnl_convolution_desc_t desc;
  HM_DNNL(dnnl_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct, &any.x, &any.w,
                                             bias ? &b : nullptr, &any.y, g.strides, g.padding, g.padding));
  return make_primitive_desc(&desc, nullptr);
}

// ---- plans ------------------------------------------------------------------------------------

// A primitive, and the scratchpad it asks for at each run.
struct Step {
  Primitive primitive;
  dnnl_memory_desc_t scratchpad{};  // zero-sized when it needs none
};

Step make_step(const PrimitiveDesc& pd) {
  dnnl_primitive_t primitive = nullptr;
  HM_DNNL(dnnl_primitive_create(&primitive, pd.get()));
  return {Primitive(primitive), query(pd, dnnl_query_scratchpad_md)};
}

Step reorder_step(const dnnl_memory_desc_t& from, const dnnl_memory_desc_t& to, bool accumulate) {
  const Attr attr = make_attr(accumulate);
  dnnl_primitive_desc_t raw = nullptr;
  HM_DNNL(dnnl_reorder_primitive_desc_create(&raw, &from, api().engine, &to, api().engine, attr.get()));
  return make_step(PrimitiveDesc(raw));
}

// One tensor argument of the convolution: heatmark's plain layout, the
// layout the primitive chose, and the reorder between them (plain -> chosen
// for an input, chosen -> plain for the output), absent when none is needed.
struct Operand {
  int arg = 0;  // DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, ...
  dnnl_memory_desc_t plain{}, chosen{};
  std::optional<Step> reorder;
};

Operand input_operand(int arg, const dnnl_memory_desc_t& plain, const dnnl_memory_desc_t& chosen) {
  Operand o{arg, plain, chosen, std::nullopt};
  if (!api().dnnl_memory_desc_equal(&plain, &chosen)) o.reorder = reorder_step(plain, chosen, false);
  return o;
}

// An accumulating output always goes through a reorder (the one that adds),
// even when the layouts agree.
Operand output_operand(int arg, const dnnl_memory_desc_t& plain, const dnnl_memory_desc_t& chosen, bool accumulate) {
  Operand o{arg, plain, chosen, std::nullopt};
  if (accumulate || !api().dnnl_memory_desc_equal(&plain, &chosen)) o.reorder = reorder_step(chosen, plain, accumulate);
  return o;
}

enum class Direction { Forward, BackwardData, BackwardWeight };

// Everything one direction of one convolution needs, made once.
struct Plan {
  PrimitiveDesc forward_hint;  // backward only: kept alive with the descriptor made against it
  Step conv;
  Operand inputs[2];
  Operand output;
  std::optional<dnnl_memory_desc_t> bias;  // forward with a bias: plain (C_out)
  size_t scratchpad_bytes = 0;             // the most any step asks for: steps run in turn and share one
};

void size_scratchpad(Plan& p) {
  p.scratchpad_bytes = bytes_of(p.conv.scratchpad);
  for (const Operand* o : {&p.inputs[0], &p.inputs[1], &p.output})
    if (o->reorder) p.scratchpad_bytes = std::max(p.scratchpad_bytes, bytes_of(o->reorder->scratchpad));
}

std::unique_ptr<Plan> make_plan(Direction direction, const Conv2dShape& s, bool bias) {
  const ConvLayouts plain = plain_layouts(s);
  auto p = std::make_unique<Plan>();
  PrimitiveDesc pd;
  if (direction == Direction::Forward) {
    pd = forward_primitive_desc(s, bias);
    p->inputs[0] = input_operand(DNNL_ARG_SRC, plain.x, query(pd, dnnl_query_src_md));
    p->inputs[1] = input_operand(DNNL_ARG_WEIGHTS, plain.w, query(pd, dnnl_query_weights_md));
    p->output = output_operand(DNNL_ARG_DST, plain.y, query(pd, dnnl_query_dst_md), false);
    if (bias) p->bias = memory_desc({s.C_out}, dnnl_x);
  } else {
    p->forward_hint = forward_primitive_desc(s, false);
    const ConvLayouts any = any_layouts(s);
    const Geometry g(s);
    dnnl_convolution_desc_t desc;
    if (direction == Direction::BackwardData) {
      HM_DNNL(dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &any.x, &any.w, &any.y,
                                                       g.strides, g.padding, g.padding));
      pd = make_primitive_desc(&desc, p->forward_hint.get());
      p->inputs[0] = input_operand(DNNL_ARG_DIFF_DST, plain.y, query(pd, dnnl_query_diff_dst_md));
      p->inputs[1] = input_operand(DNNL_ARG_WEIGHTS, plain.w, query(pd, dnnl_query_weights_md));
      p->output = output_operand(DNNL_ARG_DIFF_SRC, plain.x, query(pd, dnnl_query_diff_src_md), false);
    } else {
      HM_DNNL(dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &any.x, &any.w, nullptr,
                                                          &any.y, g.strides, g.padding, g.padding));
      pd = make_primitive_desc(&desc, p->forward_hint.get());
      p->inputs[0] = input_operand(DNNL_ARG_SRC, plain.x, query(pd, dnnl_query_src_md));
      p->inputs[1] = input_operand(DNNL_ARG_DIFF_DST, plain.y, query(pd, dnnl_query_diff_dst_md));
      p->output = output_operand(DNNL_ARG_DIFF_WEIGHTS, plain.w, query(pd, dnnl_query_diff_weights_md), true);
    }
  }
  p->conv = make_step(pd);
  size_scratchpad(*p);
  return p;
}

// The plans made so far. Never destroyed: at exit, oneDNN's own statics may
// already be gone when this map's would run.
struct PlanCache {
  std::mutex mutex;
  std::map<std::array<int64_t, 12>, std::unique_ptr<Plan>> plans;
};
PlanCache& cache() {
  static PlanCache* const instance = new PlanCache;
  return *instance;
}

const Plan& plan_for(Direction direction, const Conv2dShape& s, bool bias) {
  use_heatmark_threads();  // before a plan is made for the count, and before it runs
  const std::array<int64_t, 12> key{static_cast<int64_t>(direction), bias, s.N, s.C_in, s.H, s.W, s.C_out, s.kH,
                                    s.kW, s.stride, s.pad, num_threads()};
  PlanCache& c = cache();
  // Made under the lock: a plan takes milliseconds, once, and no two threads make the same one.
  const std::lock_guard lock(c.mutex);
  auto found = c.plans.find(key);
  if (found == c.plans.end()) found = c.plans.emplace(key, make_plan(direction, s, bias)).first;
  return *found->second;
}

// ---- running a plan ---------------------------------------------------------------------------

// Buffers of one call, 64-byte aligned, released when it returns.
class CallBuffers {
 public:
  void* allocate(size_t bytes) {
    if (bytes == 0) return nullptr;
    blocks_.push_back(Storage::allocate(bytes, Device::cpu()));
    return blocks_.back()->data();
  }

 private:
  std::vector<std::shared_ptr<Storage>> blocks_;
};

Memory wrap(const dnnl_memory_desc_t& md, const void* data) {
  dnnl_memory_t m = nullptr;
  // oneDNN takes every handle as non-const; inputs are only read.
  HM_DNNL(dnnl_memory_create(&m, &md, api().engine, const_cast<void*>(data)));
  return Memory(m);
}

// One stream per thread: a stream is not to be shared between threads.
dnnl_stream_t thread_stream() {
  struct ThreadStream {
    dnnl_stream_t stream = nullptr;
    ~ThreadStream() {
      if (stream) api().dnnl_stream_destroy(stream);
    }
  };
  thread_local ThreadStream t;
  if (!t.stream) HM_DNNL(dnnl_stream_create(&t.stream, api().engine, dnnl_stream_default_flags));
  return t.stream;
}

void run(const Step& step, std::vector<dnnl_exec_arg_t> args, void* scratchpad) {
  Memory scratch;
  if (bytes_of(step.scratchpad) > 0) {
    scratch = wrap(step.scratchpad, scratchpad);
    args.push_back({DNNL_ARG_SCRATCHPAD, scratch.get()});
  }
  HM_DNNL(dnnl_primitive_execute(step.primitive.get(), thread_stream(), static_cast<int>(args.size()), args.data()));
}

// The memory the convolution reads for an input: the caller's buffer, or a
// copy reordered into the chosen layout.
Memory stage_input(const Operand& o, const float* data, CallBuffers& buffers, void* scratchpad) {
  Memory plain = wrap(o.plain, data);
  if (!o.reorder) return plain;
  Memory chosen = wrap(o.chosen, buffers.allocate(bytes_of(o.chosen)));
  run(*o.reorder, {{DNNL_ARG_FROM, plain.get()}, {DNNL_ARG_TO, chosen.get()}}, scratchpad);
  return chosen;
}

// Runs a plan that plan_for() just returned (which gave oneDNN the thread count).
void execute(const Plan& p, const float* in0, const float* in1, const float* bias, float* out) {
  CallBuffers buffers;
  void* scratchpad = buffers.allocate(p.scratchpad_bytes);
  const Memory a = stage_input(p.inputs[0], in0, buffers, scratchpad);
  const Memory b = stage_input(p.inputs[1], in1, buffers, scratchpad);
  const Memory result = wrap(p.output.plain, out);
  const Memory chosen_result = p.output.reorder ? wrap(p.output.chosen, buffers.allocate(bytes_of(p.output.chosen)))
                                                : Memory();
  dnnl_memory_t produced = p.output.reorder ? chosen_result.get() : result.get();
  std::vector<dnnl_exec_arg_t> args{{p.inputs[0].arg, a.get()}, {p.inputs[1].arg, b.get()}, {p.output.arg, produced}};
  Memory bias_memory;
  if (p.bias) {
    bias_memory = wrap(*p.bias, bias);
    args.push_back({DNNL_ARG_BIAS, bias_memory.get()});
  }
  run(p.conv, args, scratchpad);
  if (p.output.reorder) run(*p.output.reorder, {{DNNL_ARG_FROM, produced}, {DNNL_ARG_TO, result.get()}}, scratchpad);
  HM_DNNL(dnnl_stream_wait(thread_stream()));
}

}  // namespace

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y) {
  execute(plan_for(Direction::Forward, s, b != nullptr), x, w, b, y);
}

void conv2d_backward_data(const Conv2dShape& s, const float* gy, const float* w, float* gx) {
  execute(plan_for(Direction::BackwardData, s, false), gy, w, nullptr, gx);
}

void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* gy, float* gw) {
  execute(plan_for(Direction::BackwardWeight, s, false), x, gy, nullptr, gw);
}

size_t cached_plans() {
  PlanCache& c = cache();
  const std::lock_guard lock(c.mutex);
  return c.plans.size();
}

}  // namespace heatmark::onednn
