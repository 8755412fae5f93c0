#include "tensor/kernels.h"

#include "cuda/kernels/launchers.h"
#include "tensor/cpu/batchnorm.h"
#include "tensor/cpu/concat.h"
#include "tensor/cpu/conv2d.h"
#include "tensor/cpu/elementwise.h"
#include "tensor/cpu/matmul.h"
#include "tensor/cpu/reduce.h"
#include "tensor/cpu/upsample.h"
#include "cuda/device_memory.h"
#include "tensor/error.h"

#if HEATMARK_HAS_CUDA
#include "cuda/runtime/stream.h"
#endif

namespace heatmark::kernels {

namespace {

// ---- checks with messages that name the tensors --------------------------

void check_defined(const char* op, const Tensor& t, const char* role) {
  HM_CHECK(t.defined(), "{}: {} is undefined", op, role);
}

void check_same_shape(const char* op, const Tensor& a, const char* role_a, const Tensor& b, const char* role_b) {
  check_defined(op, a, role_a);
  check_defined(op, b, role_b);
  HM_CHECK(a.shape() == b.shape(), "{}: {} has shape {} but {} has shape {}; they must match", op,
           a.label(role_a), a.shape().str(), b.label(role_b), b.shape().str());
}

void check_ndim(const char* op, const Tensor& t, const char* role, int ndim, const char* layout) {
  check_defined(op, t, role);
  HM_CHECK(t.ndim() == ndim, "{}: {} must be {}-D {}, got shape {}", op, t.label(role), ndim, layout,
           t.shape().str());
}

void check_channels(const char* op, const Tensor& t, const char* role, int64_t channels) {
  check_defined(op, t, role);
  HM_CHECK(t.ndim() == 1 && t.size(0) == channels, "{}: {} must have shape ({}) to match the channels, got {}",
           op, t.label(role), channels, t.shape().str());
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b, const char* role_b) {
  if (!b.defined()) return;
  HM_CHECK(a.device() == b.device(), "{}: {} is on {} but the input is on {}", op, b.label(role_b),
           b.device().str(), a.device().str());
}

// For ops whose GPU kernel is not written yet.
[[noreturn]] void no_backend(const char* op, Device device) {
  fail("{}: no kernel for device {} in this build", op, device.str());
}

}  // namespace

// Runs a hand-written kernel's launcher on the tensor's GPU-like device: the
// emulated build (heatmark::emu) for Emu, the nvcc build (heatmark::cuda) on
// the current stream for CUDA. The launchers have identical signatures.
#if HEATMARK_HAS_CUDA
#define HM_LAUNCH_ON(device, launcher, ...)                                                   \
  ((device).is_emu() ? emu::launcher(__VA_ARGS__, nullptr)                                   \
                     : cuda::launcher(__VA_ARGS__, static_cast<void*>(cuda::current_stream())))
#else
#define HM_LAUNCH_ON(device, launcher, ...) emu::launcher(__VA_ARGS__, nullptr)
#endif

namespace {

}  // namespace

// ---- elementwise ------------------------------------------------------------

void fill(Tensor& y, float value) {
  check_defined("fill", y, "output");
  if (y.device().is_cpu())
    cpu::fill(y.data(), value, y.numel());
  else
    HM_LAUNCH_ON(y.device(), fill, y.data(), value, y.numel());
}

void copy(Tensor& dst, const Tensor& src) {
  check_same_shape("copy", dst, "destination", src, "source");
  device_copy(dst.data(), dst.device(), src.data(), src.device(), sizeof(float) * src.numel());
}

Tensor add(const Tensor& a, const Tensor& b) {
  check_same_shape("add", a, "a", b, "b");
  check_same_device("add", a, b, "b");
  Tensor y = Tensor::empty(a.shape(), a.device());
  if (a.device().is_cpu())
    cpu::add_forward(a.data(), b.data(), y.data(), a.numel());
  else
    HM_LAUNCH_ON(a.device(), add_forward, a.data(), b.data(), y.data(), a.numel());
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  check_same_shape("mul", a, "a", b, "b");
  check_same_device("mul", a, b, "b");
  Tensor y = Tensor::empty(a.shape(), a.device());
  if (a.device().is_cpu())
    cpu::mul_forward(a.data(), b.data(), y.data(), a.numel());
  else
    HM_LAUNCH_ON(a.device(), mul_forward, a.data(), b.data(), y.data(), a.numel());
  return y;
}

void mul_backward(const Tensor& a, const Tensor& b, const Tensor& gy, Tensor* ga, Tensor* gb) {
  check_same_shape("mul backward", a, "a", b, "b");
  check_same_shape("mul backward", a, "a", gy, "output gradient");
  if (ga) *ga = Tensor::empty(a.shape(), a.device());
  if (gb) *gb = Tensor::empty(b.shape(), b.device());
  float* ga_data = ga ? ga->data() : nullptr;
  float* gb_data = gb ? gb->data() : nullptr;
  if (a.device().is_cpu())
    cpu::mul_backward(a.data(), b.data(), gy.data(), ga_data, gb_data, a.numel());
  else
    HM_LAUNCH_ON(a.device(), mul_backward, a.data(), b.data(), gy.data(), ga_data, gb_data, a.numel());
}

Tensor scale(const Tensor& x, float alpha) {
  check_defined("scale", x, "input");
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu())
    cpu::scale_forward(x.data(), alpha, y.data(), x.numel());
  else
    HM_LAUNCH_ON(x.device(), scale_forward, x.data(), alpha, y.data(), x.numel());
  return y;
}

void accumulate(Tensor& y, const Tensor& x) {
  check_same_shape("accumulate", y, "gradient", x, "addend");
  check_same_device("accumulate", y, x, "addend");
  if (y.device().is_cpu())
    cpu::accumulate(y.data(), x.data(), y.numel());
  else
    HM_LAUNCH_ON(y.device(), accumulate, y.data(), x.data(), y.numel());
}

Tensor relu_forward(const Tensor& x) {
  check_defined("relu", x, "input");
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu())
    cpu::relu_forward(x.data(), y.data(), x.numel());
  else
    HM_LAUNCH_ON(x.device(), relu_forward, x.data(), y.data(), x.numel());
  return y;
}

Tensor relu_backward(const Tensor& y, const Tensor& gy) {
  check_same_shape("relu backward", y, "output", gy, "output gradient");
  Tensor gx = Tensor::empty(y.shape(), y.device());
  if (y.device().is_cpu())
    cpu::relu_backward(y.data(), gy.data(), gx.data(), y.numel());
  else
    HM_LAUNCH_ON(y.device(), relu_backward, y.data(), gy.data(), gx.data(), y.numel());
  return gx;
}

// ---- reductions -------------------------------------------------------------

namespace {
// scale * sum(x) as a one-element tensor on x's device.
Tensor scaled_sum(const Tensor& x, float scale) {
  if (x.device().is_cpu())
    return Tensor::scalar(static_cast<float>(scale * cpu::sum_all(x.data(), x.numel())), x.device());
  Tensor out = Tensor::empty(Shape{}, x.device());
  // The workspace size is a property of the kernel source, the same in both builds.
  Tensor workspace = Tensor::empty({emu::sum_workspace_floats(x.numel())}, x.device());
  HM_LAUNCH_ON(x.device(), sum_forward, x.data(), x.numel(), scale, workspace.data(), out.data());
  return out;
}
}  // namespace

Tensor sum(const Tensor& x) {
  check_defined("sum", x, "input");
  return scaled_sum(x, 1.0f);
}

Tensor mean(const Tensor& x) {
  check_defined("mean", x, "input");
  HM_CHECK(x.numel() > 0, "mean: {} is empty (shape {})", x.label("input"), x.shape().str());
  return scaled_sum(x, 1.0f / static_cast<float>(x.numel()));
}

Tensor broadcast_scalar(const Tensor& g, const Shape& shape, float scale) {
  HM_CHECK(g.numel() == 1, "broadcast_scalar: gradient {} has shape {}, not one element", g.label("g"),
           g.shape().str());
  Tensor y = Tensor::empty(shape, g.device());
  if (g.device().is_cpu())
    cpu::fill(y.data(), scale * g.data()[0], y.numel());
  else
    HM_LAUNCH_ON(g.device(), broadcast_scalar, g.data(), scale, y.data(), y.numel());
  return y;
}

// ---- matmul -----------------------------------------------------------------

namespace {
void check_matmul(const Tensor& a, const Tensor& b) {
  check_ndim("matmul", a, "a", 2, "(M, K)");
  check_ndim("matmul", b, "b", 2, "(K, N)");
  check_same_device("matmul", a, b, "b");
  HM_CHECK(a.size(1) == b.size(0), "matmul: {} has shape {} and {} has shape {}; inner dimensions differ",
           a.label("a"), a.shape().str(), b.label("b"), b.shape().str());
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_matmul(a, b);
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  Tensor y = Tensor::empty({M, N}, a.device());
  if (a.device().is_cpu())
    cpu::matmul_forward_blas(a.data(), b.data(), y.data(), M, K, N);
  else
    HM_LAUNCH_ON(a.device(), matmul_forward, a.data(), b.data(), y.data(), M, K, N);
  return y;
}

void matmul_backward(const Tensor& a, const Tensor& b, const Tensor& gy, Tensor* ga, Tensor* gb) {
  check_matmul(a, b);
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  HM_CHECK(gy.shape() == Shape({M, N}), "matmul backward: output gradient has shape {}, expected ({}, {})",
           gy.shape().str(), M, N);
  if (ga) *ga = Tensor::empty(a.shape(), a.device());
  if (gb) *gb = Tensor::empty(b.shape(), b.device());
  float* ga_data = ga ? ga->data() : nullptr;
  float* gb_data = gb ? gb->data() : nullptr;
  if (a.device().is_cpu())
    cpu::matmul_backward_blas(a.data(), b.data(), gy.data(), ga_data, gb_data, M, K, N);
  else
    HM_LAUNCH_ON(a.device(), matmul_backward, a.data(), b.data(), gy.data(), ga_data, gb_data, M, K, N);
}

// ---- conv2d -----------------------------------------------------------------

Conv2dShape conv2d_shape(const Tensor& x, const Tensor& w, int stride, int padding) {
  check_ndim("conv2d", x, "input", 4, "(N, C, H, W)");
  check_ndim("conv2d", w, "weight", 4, "(C_out, C_in, kH, kW)");
  check_same_device("conv2d", x, w, "weight");
  HM_CHECK(stride >= 1 && padding >= 0, "conv2d: stride {} must be >= 1 and padding {} >= 0", stride, padding);
  HM_CHECK(x.size(1) == w.size(1), "conv2d: {} has {} channels (shape {}) but {} expects {} (shape {})",
           x.label("input"), x.size(1), x.shape().str(), w.label("weight"), w.size(1), w.shape().str());
  const Conv2dShape s = Conv2dShape::make(x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(2),
                                          w.size(3), stride, padding);
  HM_CHECK(x.size(2) + 2 * padding >= w.size(2) && x.size(3) + 2 * padding >= w.size(3),
           "conv2d: {} of shape {} is smaller than the {}x{} kernel of {} with padding {}", x.label("input"),
           x.shape().str(), w.size(2), w.size(3), w.label("weight"), padding);
  return s;
}

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int padding) {
  const Conv2dShape s = conv2d_shape(x, w, stride, padding);
  if (b.defined()) {
    check_channels("conv2d", b, "bias", s.C_out);
    check_same_device("conv2d", x, b, "bias");
  }
  Tensor y = Tensor::empty({s.N, s.C_out, s.OH, s.OW}, x.device());
  if (!x.device().is_cpu()) no_backend("conv2d", x.device());
  cpu::conv2d_forward_gemm(s, x.data(), w.data(), b.defined() ? b.data() : nullptr, y.data());
  return y;
}

Tensor conv2d_backward_data(const Conv2dShape& s, const Tensor& gy, const Tensor& w) {
  HM_CHECK(gy.shape() == Shape({s.N, s.C_out, s.OH, s.OW}), "conv2d backward: output gradient has shape {}, expected ({}, {}, {}, {})",
           gy.shape().str(), s.N, s.C_out, s.OH, s.OW);
  Tensor gx = Tensor::empty({s.N, s.C_in, s.H, s.W}, gy.device());
  if (!gy.device().is_cpu()) no_backend("conv2d backward data", gy.device());
  cpu::conv2d_backward_data_gemm(s, gy.data(), w.data(), gx.data());
  return gx;
}

void conv2d_backward_weight(const Conv2dShape& s, const Tensor& x, const Tensor& gy, Tensor& gw) {
  HM_CHECK(gw.shape() == Shape({s.C_out, s.C_in, s.kH, s.kW}), "conv2d backward: weight gradient has shape {}",
           gw.shape().str());
  if (!gy.device().is_cpu()) no_backend("conv2d backward weight", gy.device());
  cpu::conv2d_backward_weight_gemm(s, x.data(), gy.data(), gw.data());
}

void conv2d_backward_bias(const Conv2dShape& s, const Tensor& gy, Tensor& gb) {
  check_channels("conv2d backward", gb, "bias gradient", s.C_out);
  if (!gy.device().is_cpu()) no_backend("conv2d backward bias", gy.device());
  cpu::conv2d_backward_bias_fast(s, gy.data(), gb.data());
}

// ---- batchnorm2d --------------------------------------------------------------

namespace {
// Checks x and gamma, and beta when given.
BatchNormShape check_batchnorm(const Tensor& x, const Tensor& gamma, const Tensor* beta = nullptr) {
  check_ndim("batchnorm2d", x, "input", 4, "(N, C, H, W)");
  const int64_t C = x.size(1);
  check_channels("batchnorm2d", gamma, "weight (gamma)", C);
  check_same_device("batchnorm2d", x, gamma, "weight (gamma)");
  if (beta) {
    check_channels("batchnorm2d", *beta, "bias (beta)", C);
    check_same_device("batchnorm2d", x, *beta, "bias (beta)");
  }
  return {x.size(0), C, x.size(2) * x.size(3)};
}
}  // namespace

Tensor batchnorm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                               Tensor& running_var, float momentum, float eps, BatchNormSaved& saved) {
  const BatchNormShape s = check_batchnorm(x, gamma, &beta);
  HM_CHECK(s.per_channel() > 1, "batchnorm2d: training needs more than one value per channel, input {} has shape {}",
           x.label("input"), x.shape().str());
  const bool update = running_mean.defined();
  if (update) {
    check_channels("batchnorm2d", running_mean, "running mean", s.C);
    check_channels("batchnorm2d", running_var, "running var", s.C);
  }
  Tensor y = Tensor::empty(x.shape(), x.device());
  saved.mean = Tensor::empty({s.C}, x.device());
  saved.invstd = Tensor::empty({s.C}, x.device());
  if (!x.device().is_cpu()) no_backend("batchnorm2d", x.device());
  cpu::batchnorm_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), saved.mean.data(),
                               saved.invstd.data(), update ? running_mean.data() : nullptr,
                               update ? running_var.data() : nullptr, momentum, eps);
  return y;
}

Tensor batchnorm_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                              const Tensor& running_mean, const Tensor& running_var, float eps) {
  const BatchNormShape s = check_batchnorm(x, gamma, &beta);
  check_channels("batchnorm2d", running_mean, "running mean", s.C);
  check_channels("batchnorm2d", running_var, "running var", s.C);
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (!x.device().is_cpu()) no_backend("batchnorm2d", x.device());
  cpu::batchnorm_forward_eval(s, x.data(), gamma.data(), beta.data(), running_mean.data(), running_var.data(),
                              eps, y.data());
  return y;
}

Tensor batchnorm_backward_train(const Tensor& x, const Tensor& gamma, const BatchNormSaved& saved,
                                const Tensor& gy, Tensor& ggamma, Tensor& gbeta) {
  const BatchNormShape s = check_batchnorm(x, gamma);
  check_same_shape("batchnorm2d backward", x, "input", gy, "output gradient");
  Tensor gx = Tensor::empty(x.shape(), x.device());
  if (!x.device().is_cpu()) no_backend("batchnorm2d backward", x.device());
  cpu::batchnorm_backward_train(s, x.data(), gamma.data(), saved.mean.data(), saved.invstd.data(), gy.data(),
                                gx.data(), ggamma.data(), gbeta.data());
  return gx;
}

Tensor batchnorm_backward_eval(const Tensor& x, const Tensor& gamma, const Tensor& running_mean,
                               const Tensor& running_var, float eps, const Tensor& gy, Tensor& ggamma,
                               Tensor& gbeta) {
  const BatchNormShape s = check_batchnorm(x, gamma);
  check_same_shape("batchnorm2d backward", x, "input", gy, "output gradient");
  Tensor gx = Tensor::empty(x.shape(), x.device());
  if (!x.device().is_cpu()) no_backend("batchnorm2d backward", x.device());
  cpu::batchnorm_backward_eval(s, x.data(), gamma.data(), running_mean.data(), running_var.data(), eps,
                               gy.data(), gx.data(), ggamma.data(), gbeta.data());
  return gx;
}

// ---- upsampling -------------------------------------------------------------

Tensor upsample_nearest_forward(const Tensor& x, int factor) {
  check_ndim("upsample_nearest", x, "input", 4, "(N, C, H, W)");
  HM_CHECK(factor >= 1, "upsample_nearest: factor must be >= 1, got {}", factor);
  const UpsampleShape s{x.size(0), x.size(1), x.size(2), x.size(3), x.size(2) * factor, x.size(3) * factor};
  Tensor y = Tensor::empty({s.N, s.C, s.OH, s.OW}, x.device());
  if (x.device().is_cpu())
    cpu::upsample_nearest_forward(s, x.data(), y.data());
  else
    HM_LAUNCH_ON(x.device(), upsample_nearest_forward, s, x.data(), y.data());
  return y;
}

Tensor upsample_nearest_backward(const Tensor& gy, const Shape& x_shape) {
  const UpsampleShape s{x_shape[0], x_shape[1], x_shape[2], x_shape[3], gy.size(2), gy.size(3)};
  Tensor gx = Tensor::empty(x_shape, gy.device());
  if (gy.device().is_cpu())
    cpu::upsample_nearest_backward(s, gy.data(), gx.data());
  else
    HM_LAUNCH_ON(gy.device(), upsample_nearest_backward, s, gy.data(), gx.data());
  return gx;
}

Tensor upsample_bilinear_forward(const Tensor& x, int64_t out_h, int64_t out_w) {
  check_ndim("upsample_bilinear", x, "input", 4, "(N, C, H, W)");
  HM_CHECK(out_h >= 1 && out_w >= 1 && x.size(2) >= 1 && x.size(3) >= 1,
           "upsample_bilinear: cannot resize {} of shape {} to {}x{}", x.label("input"), x.shape().str(), out_h,
           out_w);
  const UpsampleShape s{x.size(0), x.size(1), x.size(2), x.size(3), out_h, out_w};
  Tensor y = Tensor::empty({s.N, s.C, s.OH, s.OW}, x.device());
  if (x.device().is_cpu())
    cpu::upsample_bilinear_forward(s, x.data(), y.data());
  else
    HM_LAUNCH_ON(x.device(), upsample_bilinear_forward, s, x.data(), y.data());
  return y;
}

Tensor upsample_bilinear_backward(const Tensor& gy, const Shape& x_shape) {
  const UpsampleShape s{x_shape[0], x_shape[1], x_shape[2], x_shape[3], gy.size(2), gy.size(3)};
  Tensor gx = Tensor::empty(x_shape, gy.device());
  if (gy.device().is_cpu())
    cpu::upsample_bilinear_backward(s, gy.data(), gx.data());
  else
    HM_LAUNCH_ON(gy.device(), upsample_bilinear_backward, s, gy.data(), gx.data());
  return gx;
}

// ---- channel concat ---------------------------------------------------------

Tensor concat_channels(const std::vector<Tensor>& xs) {
  HM_CHECK(!xs.empty(), "concat: no inputs");
  const Tensor& first = xs[0];
  check_ndim("concat", first, "input 0", 4, "(N, C, H, W)");
  int64_t channels = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const std::string role = "input " + std::to_string(i);
    check_ndim("concat", xs[i], role.c_str(), 4, "(N, C, H, W)");
    check_same_device("concat", first, xs[i], role.c_str());
    HM_CHECK(xs[i].size(0) == first.size(0) && xs[i].size(2) == first.size(2) && xs[i].size(3) == first.size(3),
             "concat: {} has shape {} but {} has shape {}; all but the channels must match", xs[i].label(role),
             xs[i].shape().str(), first.label("input 0"), first.shape().str());
    channels += xs[i].size(1);
  }
  const int64_t N = first.size(0), HW = first.size(2) * first.size(3);
  Tensor y = Tensor::empty({N, channels, first.size(2), first.size(3)}, first.device());
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    if (first.device().is_cpu())
      cpu::copy_into_channels(x.data(), y.data(), N, x.size(1), channels, offset, HW);
    else
      HM_LAUNCH_ON(first.device(), copy_into_channels, x.data(), y.data(), N, x.size(1), channels, offset, HW);
    offset += x.size(1);
  }
  return y;
}

Tensor slice_channels(const Tensor& y, int64_t offset, int64_t channels) {
  check_ndim("slice_channels", y, "input", 4, "(N, C, H, W)");
  HM_CHECK(offset >= 0 && channels >= 0 && offset + channels <= y.size(1),
           "slice_channels: channels [{}, {}) are outside {} of shape {}", offset, offset + channels,
           y.label("input"), y.shape().str());
  const int64_t N = y.size(0), HW = y.size(2) * y.size(3);
  Tensor x = Tensor::empty({N, channels, y.size(2), y.size(3)}, y.device());
  if (y.device().is_cpu())
    cpu::copy_from_channels(y.data(), x.data(), N, y.size(1), channels, offset, HW);
  else
    HM_LAUNCH_ON(y.device(), copy_from_channels, y.data(), x.data(), N, y.size(1), channels, offset, HW);
  return x;
}

}  // namespace heatmark::kernels
