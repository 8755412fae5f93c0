// Optimizers: Adam, AdamW and SGD with momentum, each one fused update over
// all parameters per step (tensor/kernels.h), with optional global-norm
// gradient clipping computed on the device.
//
//   Adam opt(model.parameters(), {.lr = 1e-3f});
//   loss.backward();
//   opt.step();        // clip (if max_grad_norm > 0), then update
//   opt.zero_grad();
//
// Parameters whose gradient is undefined (unused in this step) are skipped.
// The state (moments, momentum buffers, step count) is exposed for checkpoints.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace heatmark {

class Optimizer {
 public:
  Optimizer(std::vector<Tensor*> params, float lr, float max_grad_norm);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Clips (if max_grad_norm > 0) and updates. Throws heatmark::Error, before
  // changing any parameter, when the gradients hold NaN or infinity.
  void step();
  void zero_grad();

  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }  // when restoring a checkpoint
  // The global gradient norm of the last step, before clipping (reads it from the device).
  float last_grad_norm() const;

  // Named state tensors, for checkpoints ("m.3" is Adam's first moment of parameter 3).
  virtual std::vector<std::pair<std::string, Tensor*>> state() = 0;

 protected:
  // One update of params (with their grads) by the concrete optimizer; grad_scale
  // is the clipping factor on the device, or undefined.
  virtual void update(const std::vector<size_t>& indices, const std::vector<Tensor>& grads, const Tensor& grad_scale) = 0;

  std::vector<Tensor*> params_;
  float lr_, max_grad_norm_;
  int64_t steps_ = 0;
  Tensor last_norm_;  // (2): {norm, clip factor}
};

struct AdamOptions {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 0.0f;
  bool decoupled_weight_decay = false;  // AdamW
  float max_grad_norm = 0.0f;           // 0: no clipping
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor*> params, const AdamOptions& options);
  std::vector<std::pair<std::string, Tensor*>> state() override;

 private:
  void update(const std::vector<size_t>& indices, const std::vector<Tensor>& grads, const Tensor& grad_scale) override;
  AdamOptions options_;
  std::vector<Tensor> m_, v_;  // zeros like each parameter
};

// AdamW: Adam with decoupled weight decay (default 0.01).
AdamOptions adamw_options(float lr = 1e-3f, float weight_decay = 0.01f);

struct SgdOptions {
  float lr = 1e-2f, momentum = 0.9f, weight_decay = 0.0f;
  float max_grad_norm = 0.0f;
};

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<Tensor*> params, const SgdOptions& options);
  std::vector<std::pair<std::string, Tensor*>> state() override;

 private:
  void update(const std::vector<size_t>& indices, const std::vector<Tensor>& grads, const Tensor& grad_scale) override;
  SgdOptions options_;
  std::vector<Tensor> momentum_;
  Tensor started_;  // (P) on the CPU: 1 once a parameter's momentum buffer is set (saved with the state)
};

}  // namespace heatmark
