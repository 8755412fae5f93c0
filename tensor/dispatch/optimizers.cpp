// Dispatch of the optimizer steps (Adam, SGD) and the gradient norm: checks, then the CPU kernel
// or a launcher (or a vendor library) for the device.
#include "tensor/dispatch/dispatch.h"

#include <algorithm>

#include "cuda/device_memory.h"
#include "tensor/cpu/optimizers.h"

namespace heatmark::kernels {

namespace {
// Checks matching lists of same-shaped tensors on one device; returns it.
Device check_parameter_lists(const char* op, const std::vector<Tensor>& params,
                             std::initializer_list<const std::vector<Tensor>*> others) {
  HM_CHECK(!params.empty(), "{}: no parameters", op);
  const Device device = params[0].device();
  for (const std::vector<Tensor>* list : others) {
    HM_CHECK(list->size() == params.size(), "{}: {} parameters but {} gradients or states", op, params.size(),
             list->size());
    for (size_t i = 0; i < params.size(); ++i) {
      check_same_shape(op, params[i], "parameter", (*list)[i], "its gradient or state");
      check_same_device(op, params[i], (*list)[i], "its gradient or state");
    }
  }
  for (const Tensor& p : params) check_same_device(op, params[0], p, "a parameter");
  return device;
}

// The multi-tensor chunk table of ParamChunks (see base/op_shapes.h).
std::vector<ParamChunk> chunk_table(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                                    const std::vector<Tensor>* state0, const std::vector<Tensor>* state1) {
  std::vector<ParamChunk> chunks;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor p = params[i], s0 = state0 ? (*state0)[i] : Tensor(), s1 = state1 ? (*state1)[i] : Tensor();
    for (int64_t offset = 0; offset < p.numel(); offset += kParamChunk)
      chunks.push_back({p.data(), grads[i].data(), s0.defined() ? s0.data() : nullptr,
                        s1.defined() ? s1.data() : nullptr, offset, std::min(kParamChunk, p.numel() - offset)});
  }
  return chunks;
}

float host_grad_scale(const Tensor& grad_scale) { return grad_scale.defined() ? grad_scale.item() : 1.0f; }
}  // namespace

void adam_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads, const std::vector<Tensor>& m,
               const std::vector<Tensor>& v, const AdamHyper& h, const Tensor& grad_scale) {
  profiler::OpScope scope("adam_step", profiler::OpKind::Optimizer, device_of(params.empty() ? Tensor() : params.front()));
  const Device device = check_parameter_lists("adam", params, {&grads, &m, &v});
  if (device.is_cpu()) {
    const cpu::AdamOptions o{h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, h.decoupled != 0};
    cpu::adam_step_chunks(o, h.bias_correction1, h.bias_correction2, host_grad_scale(grad_scale),
                          chunk_table(params, grads, &m, &v));
    return;
  }
  const std::vector<ParamChunk> chunks = chunk_table(params, grads, &m, &v);
  const DeviceBuffer table(device, chunks.data(), chunks.size() * sizeof(ParamChunk));
  HM_LAUNCH_ON(device, adam_step, static_cast<const ParamChunk*>(table.data()), static_cast<int64_t>(chunks.size()), h,
               grad_scale.defined() ? grad_scale.data() : nullptr);
}

void sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
              const std::vector<Tensor>& momentum, const SgdHyper& h, const Tensor& grad_scale) {
  profiler::OpScope scope("sgd_step", profiler::OpKind::Optimizer, device_of(params.empty() ? Tensor() : params.front()));
  const Device device = check_parameter_lists("sgd", params, {&grads, &momentum});
  if (device.is_cpu()) {
    const cpu::SgdOptions o{h.lr, h.momentum, h.weight_decay, h.first_step != 0};
    const double scale = host_grad_scale(grad_scale);
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor p = params[i], buffer = momentum[i];
      cpu::sgd_update(o, scale, p.data(), grads[i].data(), buffer.data(), p.numel());
    }
    return;
  }
  const std::vector<ParamChunk> chunks = chunk_table(params, grads, &momentum, nullptr);
  const DeviceBuffer table(device, chunks.data(), chunks.size() * sizeof(ParamChunk));
  HM_LAUNCH_ON(device, sgd_step, static_cast<const ParamChunk*>(table.data()), static_cast<int64_t>(chunks.size()), h,
               grad_scale.defined() ? grad_scale.data() : nullptr);
}

Tensor gradient_norm(const std::vector<Tensor>& grads, float max_norm) {
  profiler::OpScope scope("gradient_norm", profiler::OpKind::Optimizer, device_of(grads.empty() ? Tensor() : grads.front()));
  const Device device = check_parameter_lists("gradient norm", grads, {});
  if (device.is_cpu()) {
    const cpu::GradientNorm n = cpu::gradient_norm_chunks(chunk_table(grads, grads, nullptr, nullptr), max_norm);
    return Tensor::from_vector({static_cast<float>(n.norm), static_cast<float>(n.scale)}, {2});
  }
  const std::vector<ParamChunk> chunks = chunk_table(grads, grads, nullptr, nullptr);
  const DeviceBuffer table(device, chunks.data(), chunks.size() * sizeof(ParamChunk));
  Tensor partials = Tensor::empty({static_cast<int64_t>(chunks.size())}, device), out = Tensor::empty({2}, device);
  HM_LAUNCH_ON(device, gradient_norm, static_cast<const ParamChunk*>(table.data()), static_cast<int64_t>(chunks.size()),
               max_norm, partials.data(), out.data());
  return out;
}

}  // namespace heatmark::kernels
