#include "layers/optimizer.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "tensor/kernels.h"

namespace heatmark {

Optimizer::Optimizer(std::vector<Tensor*> params, float lr, float max_grad_norm)
    : params_(std::move(params)), lr_(lr), max_grad_norm_(max_grad_norm) {
  HM_CHECK(!params_.empty(), "optimizer: no parameters to optimize");
  HM_CHECK(lr > 0, "optimizer: learning rate must be positive, got {}", lr);
}

void Optimizer::step() {
  NoGrad no_grad;
  std::vector<size_t> indices;
  std::vector<Tensor> grads;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i]->grad().defined()) continue;
    indices.push_back(i);
    grads.push_back(params_[i]->grad());
  }
  if (indices.empty()) return;
  last_norm_ = kernels::gradient_norm(grads, max_grad_norm_);
  const float norm = last_grad_norm();
  if (!std::isfinite(norm)) {
    // Name the first parameter whose gradient is not finite.
    std::string culprit = "?";
    for (size_t j = 0; j < indices.size() && culprit == "?"; ++j)
      if (!std::isfinite(kernels::gradient_norm({grads[j]}, 0).to_vector()[0])) culprit = params_[indices[j]]->name();
    fail("optimizer: the gradients are not finite (global norm {}; first in '{}'); the parameters were not updated",
         norm, culprit);
  }
  ++steps_;
  update(indices, grads, max_grad_norm_ > 0 ? last_norm_.narrow(1, 1) : Tensor());
}

void Optimizer::zero_grad() {
  for (Tensor* p : params_) p->zero_grad();
}

float Optimizer::last_grad_norm() const { return last_norm_.defined() ? last_norm_.to_vector()[0] : 0.0f; }

// ---- Adam / AdamW ---------------------------------------------------------------

Adam::Adam(std::vector<Tensor*> params, const AdamOptions& options)
    : Optimizer(std::move(params), options.lr, options.max_grad_norm), options_(options) {
  for (Tensor* p : params_) {
    m_.push_back(Tensor::zeros(p->shape(), p->device()));
    v_.push_back(Tensor::zeros(p->shape(), p->device()));
  }
}

void Adam::update(const std::vector<size_t>& indices, const std::vector<Tensor>& grads, const Tensor& grad_scale) {
  std::vector<Tensor> params, m, v;
  for (size_t i : indices) {
    params.push_back(*params_[i]);
    m.push_back(m_[i]);
    v.push_back(v_[i]);
  }
  const AdamHyper h{lr_,
                    options_.beta1,
                    options_.beta2,
                    options_.eps,
                    options_.weight_decay,
                    static_cast<float>(bias_correction(options_.beta1, steps_)),
                    static_cast<float>(bias_correction(options_.beta2, steps_)),
                    options_.decoupled_weight_decay};
  kernels::adam_step(params, grads, m, v, h, grad_scale);
}

std::vector<std::pair<std::string, Tensor*>> Adam::state() {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (size_t i = 0; i < m_.size(); ++i) {
    out.emplace_back("m." + std::to_string(i), &m_[i]);
    out.emplace_back("v." + std::to_string(i), &v_[i]);
  }
  return out;
}

AdamOptions adamw_options(float lr, float weight_decay) {
  AdamOptions o;
  o.lr = lr;
  o.weight_decay = weight_decay;
  o.decoupled_weight_decay = true;
  return o;
}

// ---- SGD ------------------------------------------------------------------------

Sgd::Sgd(std::vector<Tensor*> params, const SgdOptions& options)
    : Optimizer(std::move(params), options.lr, options.max_grad_norm),
      options_(options),
      started_(Tensor::zeros({static_cast<int64_t>(params_.size())})) {
  for (Tensor* p : params_) momentum_.push_back(Tensor::zeros(p->shape(), p->device()));
}

void Sgd::update(const std::vector<size_t>& indices, const std::vector<Tensor>& grads, const Tensor& grad_scale) {
  // Parameters start their momentum on their first step; group by that flag.
  float* started = started_.data();
  for (int first : {1, 0}) {
    std::vector<Tensor> params, g, buffers;
    for (size_t j = 0; j < indices.size(); ++j) {
      if ((started[indices[j]] != 0.0f) == (first == 1)) continue;
      params.push_back(*params_[indices[j]]);
      g.push_back(grads[j]);
      buffers.push_back(momentum_[indices[j]]);
    }
    if (params.empty()) continue;
    kernels::sgd_step(params, g, buffers, SgdHyper{lr_, options_.momentum, options_.weight_decay, first}, grad_scale);
  }
  for (size_t i : indices) started[i] = 1.0f;
}

std::vector<std::pair<std::string, Tensor*>> Sgd::state() {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (size_t i = 0; i < momentum_.size(); ++i) out.emplace_back("momentum." + std::to_string(i), &momentum_[i]);
  out.emplace_back("momentum_started", &started_);
  return out;
}

}  // namespace heatmark
