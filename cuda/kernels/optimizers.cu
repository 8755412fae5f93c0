// Fused optimizer updates over all parameters in one launch, and the global
// gradient norm for clipping. Formulas: tensor/cpu/optimizers.h; the chunk
// table: ParamChunk in base/op_shapes.h.
//
// Clipping needs the norm of *all* gradients before any update, so it is a
// separate, deterministic two-phase reduction (per-chunk partial sums, then
// one block adds them in order) that leaves the scale factor
// min(1, max_norm / (norm + 1e-6)) on the device. The update kernels read
// that factor (or 1 when grad_scale is null): no host round trip.
#include "cuda/kernels/block_reduce.cuh"

namespace heatmark::HM_BACKEND {

__global__ void adam_step_kernel(const ParamChunk* __restrict__ chunks, AdamHyper h,
                                 const float* __restrict__ grad_scale) {
  const ParamChunk c = chunks[blockIdx.x];
  const float scale = grad_scale ? grad_scale[0] : 1.0f;
  for (int64_t i = c.offset + threadIdx.x; i < c.offset + c.count; i += kBlockSize) {
    float p = c.param[i], g = scale * c.grad[i];
    if (h.decoupled)
      p -= h.lr * h.weight_decay * p;
    else
      g += h.weight_decay * p;
    const float m = h.beta1 * c.state0[i] + (1.0f - h.beta1) * g;
    const float v = h.beta2 * c.state1[i] + (1.0f - h.beta2) * g * g;
    c.state0[i] = m;
    c.state1[i] = v;
    c.param[i] = p - h.lr * (m / h.bias_correction1) / (sqrtf(v / h.bias_correction2) + h.eps);
  }
}

__global__ void sgd_step_kernel(const ParamChunk* __restrict__ chunks, SgdHyper h, const float* __restrict__ grad_scale) {
  const ParamChunk c = chunks[blockIdx.x];
  const float scale = grad_scale ? grad_scale[0] : 1.0f;
  for (int64_t i = c.offset + threadIdx.x; i < c.offset + c.count; i += kBlockSize) {
    const float g = scale * c.grad[i] + h.weight_decay * c.param[i];
    const float b = h.first_step ? g : h.momentum * c.state0[i] + g;
    c.state0[i] = b;
    c.param[i] -= h.lr * b;
  }
}

__global__ void squared_norm_partials_kernel(const ParamChunk* __restrict__ chunks, float* __restrict__ partials) {
  const ParamChunk c = chunks[blockIdx.x];
  float s = 0.0f;
  for (int64_t i = c.offset + threadIdx.x; i < c.offset + c.count; i += kBlockSize) s += c.grad[i] * c.grad[i];
  s = block_sum(s);
  if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

// norm_and_scale = {norm, min(1, max_norm / (norm + 1e-6))}; max_norm <= 0 means no clipping.
__global__ void norm_and_clip_scale_kernel(const float* __restrict__ partials, int64_t count, float max_norm,
                                           float* __restrict__ norm_and_scale) {
  float s = 0.0f;
  for (int64_t i = threadIdx.x; i < count; i += kBlockSize) s += partials[i];
  s = block_sum(s);
  if (threadIdx.x == 0) {
    const float norm = sqrtf(s);
    const float scale = max_norm > 0.0f ? max_norm / (norm + 1e-6f) : 1.0f;
    norm_and_scale[0] = norm;
    norm_and_scale[1] = scale < 1.0f ? scale : 1.0f;
  }
}

void adam_step(const ParamChunk* chunks, int64_t count, const AdamHyper& h, const float* grad_scale,
               StreamHandle stream) {
  if (count > 0)
    launch(adam_step_kernel, static_cast<unsigned>(count), kBlockSize, 0, static_cast<cudaStream_t>(stream),
           chunks, h, grad_scale);
}

void sgd_step(const ParamChunk* chunks, int64_t count, const SgdHyper& h, const float* grad_scale,
              StreamHandle stream) {
  if (count > 0)
    launch(sgd_step_kernel, static_cast<unsigned>(count), kBlockSize, 0, static_cast<cudaStream_t>(stream),
           chunks, h, grad_scale);
}

void gradient_norm(const ParamChunk* chunks, int64_t count, float max_norm, float* partials, float* norm_and_scale,
                   StreamHandle stream) {
  const auto st = static_cast<cudaStream_t>(stream);
  if (count > 0) launch(squared_norm_partials_kernel, static_cast<unsigned>(count), kBlockSize, 0, st, chunks, partials);
  launch(norm_and_clip_scale_kernel, 1, kBlockSize, 0, st, static_cast<const float*>(partials), count, max_norm,
         norm_and_scale);
}

}  // namespace heatmark::HM_BACKEND
