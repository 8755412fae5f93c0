// Dispatch of batch_norm2d: checks, then the CPU kernel or a launcher (or a vendor library) for
// the device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/batch_norm2d.h"

namespace heatmark::kernels {

namespace {
// Checks x and gamma, and beta when given.
BatchNormShape check_batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor* beta = nullptr) {
  check_ndim("batch_norm2d", x, "input", 4, "(N, C, H, W)");
  const int64_t C = x.size(1);
  check_channels("batch_norm2d", gamma, "weight (gamma)", C);
  check_same_device("batch_norm2d", x, gamma, "weight (gamma)");
  if (beta) {
    check_channels("batch_norm2d", *beta, "bias (beta)", C);
    check_same_device("batch_norm2d", x, *beta, "bias (beta)");
  }
  return {x.size(0), C, x.size(2) * x.size(3)};
}
}  // namespace

Tensor batch_norm2d_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                                  Tensor& running_var, float momentum, float eps, BatchNormSaved& saved) {
  profiler::OpScope scope("batch_norm2d_forward_train", profiler::OpKind::BatchNorm, device_of(x));
  const BatchNormShape s = check_batch_norm2d(x, gamma, &beta);
  HM_CHECK(s.per_channel() > 1, "batch_norm2d: training needs more than one value per channel, input {} has shape {}",
           x.label("input"), x.shape().str());
  const bool update = running_mean.defined();
  if (update) {
    check_channels("batch_norm2d", running_mean, "running mean", s.C);
    check_channels("batch_norm2d", running_var, "running var", s.C);
  }
  Tensor y = Tensor::empty(x.shape(), x.device());
  saved.mean = Tensor::empty({s.C}, x.device());
  saved.invstd = Tensor::empty({s.C}, x.device());
  saved.eps = eps;
  float* rm = update ? running_mean.data() : nullptr;
  float* rv = update ? running_var.data() : nullptr;
  if (x.device().is_cpu()) {
    cpu::batch_norm2d_forward_train_float(s, x.data(), gamma.data(), beta.data(), y.data(), saved.mean.data(),
                                    saved.invstd.data(), rm, rv, momentum, eps);
  } else if (use_vendor(x.device())) {
    HM_VENDOR(batch_norm2d_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), saved.mean.data(),
                                         saved.invstd.data(), rm, rv, momentum, eps));
  } else {
    Tensor workspace = Tensor::empty({emu::batch_norm2d_workspace_floats(s)}, x.device());
    HM_LAUNCH_ON(x.device(), batch_norm2d_forward_train, s, x.data(), gamma.data(), beta.data(), y.data(),
                 saved.mean.data(), saved.invstd.data(), rm, rv, momentum, eps, workspace.data());
  }
  return y;
}

Tensor batch_norm2d_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                 const Tensor& running_mean, const Tensor& running_var, float eps) {
  profiler::OpScope scope("batch_norm2d_forward_eval", profiler::OpKind::BatchNorm, device_of(x));
  const BatchNormShape s = check_batch_norm2d(x, gamma, &beta);
  check_channels("batch_norm2d", running_mean, "running mean", s.C);
  check_channels("batch_norm2d", running_var, "running var", s.C);
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu())
    cpu::batch_norm2d_forward_eval_float(s, x.data(), gamma.data(), beta.data(), running_mean.data(), running_var.data(),
                                   eps, y.data());
  else if (use_vendor(x.device()))
    HM_VENDOR(batch_norm2d_forward_eval(s, x.data(), gamma.data(), beta.data(), running_mean.data(), running_var.data(),
                                        eps, y.data()));
  else
    HM_LAUNCH_ON(x.device(), batch_norm2d_forward_eval, s, x.data(), gamma.data(), beta.data(), running_mean.data(),
                 running_var.data(), eps, y.data());
  return y;
}

Tensor batch_norm2d_backward_train(const Tensor& x, const Tensor& gamma, const BatchNormSaved& saved,
                                   const Tensor& gy, Tensor& ggamma, Tensor& gbeta) {
  profiler::OpScope scope("batch_norm2d_backward_train", profiler::OpKind::BatchNorm, device_of(x));
  const BatchNormShape s = check_batch_norm2d(x, gamma);
  check_same_shape("batch_norm2d backward", x, "input", gy, "output gradient");
  Tensor gx = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu()) {
    cpu::batch_norm2d_backward_train_float(s, x.data(), gamma.data(), saved.mean.data(), saved.invstd.data(), gy.data(),
                                     gx.data(), ggamma.data(), gbeta.data());
  } else if (use_vendor(x.device())) {
    HM_VENDOR(batch_norm2d_backward_train(s, x.data(), gamma.data(), saved.mean.data(), saved.invstd.data(), gy.data(),
                                          saved.eps, gx.data(), ggamma.data(), gbeta.data()));
  } else {
    Tensor workspace = Tensor::empty({emu::batch_norm2d_workspace_floats(s)}, x.device());
    HM_LAUNCH_ON(x.device(), batch_norm2d_backward, s, x.data(), gamma.data(), saved.mean.data(), saved.invstd.data(),
                 gy.data(), true, gx.data(), ggamma.data(), gbeta.data(), workspace.data());
  }
  return gx;
}

Tensor batch_norm2d_backward_eval(const Tensor& x, const Tensor& gamma, const Tensor& running_mean,
                                  const Tensor& running_var, float eps, const Tensor& gy, Tensor& ggamma,
                                  Tensor& gbeta) {
  profiler::OpScope scope("batch_norm2d_backward_eval", profiler::OpKind::BatchNorm, device_of(x));
  const BatchNormShape s = check_batch_norm2d(x, gamma);
  check_same_shape("batch_norm2d backward", x, "input", gy, "output gradient");
  Tensor gx = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu()) {
    cpu::batch_norm2d_backward_eval(s, x.data(), gamma.data(), running_mean.data(), running_var.data(), eps,
                                    gy.data(), gx.data(), ggamma.data(), gbeta.data());
  } else {
    Tensor invstd = Tensor::empty({s.C}, x.device());
    Tensor workspace = Tensor::empty({emu::batch_norm2d_workspace_floats(s)}, x.device());
    HM_LAUNCH_ON(x.device(), batch_norm2d_invstd, s.C, running_var.data(), eps, invstd.data());
    HM_LAUNCH_ON(x.device(), batch_norm2d_backward, s, x.data(), gamma.data(), running_mean.data(), invstd.data(),
                 gy.data(), false, gx.data(), ggamma.data(), gbeta.data(), workspace.data());
  }
  return gx;
}

}  // namespace heatmark::kernels
