// Op harness cases of the optimizer steps (Adam, AdamW, SGD) and the gradient norm: shapes, the
// double CPU reference (tensor/cpu/) and the op under test (autograd/ops.h).
#include <cmath>

#include <fmt/format.h>

#include "autograd/ops.h"
#include "harness/op_cases.h"
#include "tensor/cpu/concat_channels.h"
#include "tensor/cpu/optimizers.h"
#include "tensor/kernels.h"

namespace heatmark::harness {

namespace {

using Inputs = std::vector<DoubleVector>;
using Grads = std::vector<DoubleVector>;

// ---- optimizers ---------------------------------------------------------------------------
// Inputs: for each of the `shapes`, a parameter, its gradient, and the
// optimizer states; the output is every parameter and state after one step,
// flattened and concatenated.

Tensor flat_concat(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> columns;
  for (const Tensor& t : tensors) columns.push_back(t.reshape({1, -1, 1, 1}));
  return kernels::concat_channels(columns);
}

enum class OptimizerKind { Adam, AdamW, Sgd };

OpCase optimizer_case(OptimizerKind kind, const std::vector<Shape>& shapes, float max_norm) {
  const int64_t count = static_cast<int64_t>(shapes.size());
  const int states = kind == OptimizerKind::Sgd ? 1 : 2;
  const int64_t step = 3;
  OpCase c;
  c.op = kind == OptimizerKind::Adam ? "adam" : kind == OptimizerKind::AdamW ? "adamw" : "sgd";
  // Names with fmt, not "literal" + std::string: GCC 12 warns falsely (-Wrestrict) on that here.
  c.params = max_norm > 0 ? fmt::format("clip {}", std::to_string(max_norm).substr(0, 3)) : "";
  for (int64_t i = 0; i < count; ++i) {
    c.inputs.push_back({fmt::format("p{}", i), shapes[i], false});
    c.inputs.push_back({fmt::format("g{}", i), shapes[i], false});
    c.inputs.push_back({fmt::format("m{}", i), shapes[i], false, Init::Uniform, -0.1, 0.1});
    if (states == 2) c.inputs.push_back({fmt::format("v{}", i), shapes[i], false, Init::Uniform, 0.0, 0.01});
  }
  const int stride = 2 + states;
  const AdamHyper adam{1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, static_cast<float>(bias_correction(0.9, step)),
                       static_cast<float>(bias_correction(0.999, step)), kind == OptimizerKind::AdamW};
  const SgdHyper sgd{1e-2f, 0.9f, 0.05f, 0};
  c.reference = [=](const Inputs& in_const) {
    Inputs in = in_const;
    double norm_sq = 0;
    for (int64_t i = 0; i < count; ++i) norm_sq += cpu::squared_norm(in[i * stride + 1].data(), shapes[i].numel());
    const double norm = std::sqrt(norm_sq);
    const double scale = max_norm > 0 ? std::min(1.0, max_norm / (norm + 1e-6)) : 1.0;
    DoubleVector out;
    for (int64_t i = 0; i < count; ++i) {
      double* p = in[i * stride].data();
      const double* g = in[i * stride + 1].data();
      if (kind == OptimizerKind::Sgd)
        cpu::sgd_update(cpu::SgdOptions{sgd.lr, sgd.momentum, sgd.weight_decay, false}, scale, p, g,
                        in[i * stride + 2].data(), shapes[i].numel());
      else
        cpu::adam_update(cpu::AdamOptions{adam.lr, adam.beta1, adam.beta2, adam.eps, adam.weight_decay, adam.decoupled != 0},
                         adam.bias_correction1, adam.bias_correction2, scale, p, g, in[i * stride + 2].data(),
                         in[i * stride + 3].data(), shapes[i].numel());
    }
    for (int64_t i = 0; i < count; ++i)
      for (int s = 0; s < stride; ++s)
        if (s != 1) out.insert(out.end(), in[i * stride + s].begin(), in[i * stride + s].end());
    return out;
  };
  c.run = [=](const std::vector<Tensor>& t) {
    std::vector<Tensor> params, grads, m, v, updated;
    for (int64_t i = 0; i < count; ++i) {
      params.push_back(t[i * stride]);
      grads.push_back(t[i * stride + 1]);
      m.push_back(t[i * stride + 2]);
      if (states == 2) v.push_back(t[i * stride + 3]);
    }
    Tensor scale;
    if (max_norm > 0) scale = kernels::gradient_norm(grads, max_norm).narrow(1, 1);
    if (kind == OptimizerKind::Sgd)
      kernels::sgd_step(params, grads, m, sgd, scale);
    else
      kernels::adam_step(params, grads, m, v, adam, scale);
    for (int64_t i = 0; i < count; ++i)
      for (int s = 0; s < stride; ++s)
        if (s != 1) updated.push_back(t[i * stride + s]);
    return flat_concat(updated);
  };
  int64_t total = 0;
  for (const Shape& s : shapes) total += s.numel();
  c.flops = 12.0 * total;
  return c;
}

OpFamily optimizer_family(OptimizerKind kind) {
  OpFamily f{kind == OptimizerKind::Adam ? "adam" : kind == OptimizerKind::AdamW ? "adamw" : "sgd", {}, {}};
  const std::vector<Shape> small{{5, 3, 3, 3}, {5}, {7, 11}};
  const std::vector<Shape> large{{70000}, {3}, {33, 17}};  // one tensor spans two chunks
  f.cases = {optimizer_case(kind, small, 0), optimizer_case(kind, large, 0), optimizer_case(kind, small, 0.5f),
             optimizer_case(kind, large, 1e6f)};
  f.perf_cases = {optimizer_case(kind, {{256, 256, 3, 3}, {256}, {128, 128, 3, 3}}, 1.0f)};
  return f;
}

OpCase gradient_norm_case(const std::vector<Shape>& shapes, float max_norm) {
  OpCase c;
  c.op = "gradient_norm";
  c.params = fmt::format("max {}", std::to_string(max_norm).substr(0, 4));
  for (size_t i = 0; i < shapes.size(); ++i) c.inputs.push_back({fmt::format("g{}", i), shapes[i], false});
  c.reference = [=](const Inputs& in) {
    double sum = 0;
    for (const DoubleVector& g : in) sum += cpu::squared_norm(g.data(), static_cast<int64_t>(g.size()));
    const double norm = std::sqrt(sum);
    return DoubleVector{norm, max_norm > 0 ? std::min(1.0, max_norm / (norm + 1e-6)) : 1.0};
  };
  c.run = [max_norm](const std::vector<Tensor>& t) { return kernels::gradient_norm(t, max_norm); };
  int64_t total = 0;
  for (const Shape& s : shapes) total += s.numel();
  c.flops = 2.0 * total;
  return c;
}

OpFamily gradient_norm_family() {
  OpFamily f{"gradient_norm", {}, {}};
  f.cases = {gradient_norm_case({{5, 3, 3, 3}, {5}}, 1.0f), gradient_norm_case({{70000}, {3}}, 1e6f),
             gradient_norm_case({{1}}, 0.0f)};
  f.perf_cases = {gradient_norm_case({{256, 256, 3, 3}, {256}, {128, 128, 3, 3}}, 1.0f)};
  return f;
}

}  // namespace

std::vector<OpFamily> optimizer_families() {
  return {
      optimizer_family(OptimizerKind::Adam),
      optimizer_family(OptimizerKind::AdamW),
      optimizer_family(OptimizerKind::Sgd),
      gradient_norm_family(),
  };
}

}  // namespace heatmark::harness
