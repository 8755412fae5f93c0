#include "tensor/kernels.h"

#include <atomic>
#include <cmath>

#include "cuda/kernels/launchers.h"
#include "tensor/cpu/batchnorm.h"
#include "tensor/cpu/concat.h"
#include "tensor/cpu/conv2d.h"
#include "tensor/cpu/conv_transpose2d.h"
#include "tensor/cpu/heatmap.h"
#include "tensor/cpu/losses.h"
#include "tensor/cpu/optimizers.h"
#include "tensor/cpu/elementwise.h"
#include "tensor/cpu/matmul.h"
#include "tensor/cpu/reduce.h"
#include "tensor/cpu/upsample.h"
#include "cuda/device_memory.h"
#include "tensor/error.h"
#include "tensor/profiler.h"

#if HEATMARK_HAS_CUDA
#include "cuda/runtime/stream.h"
#include "cuda/vendor/vendor.h"
#endif

namespace heatmark::kernels {

namespace {

Device device_of(const Tensor& t) { return t.defined() ? t.device() : Device::cpu(); }

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

// A vendor library call (only reached when use_vendor() said so).
#if HEATMARK_HAS_CUDA
#define HM_VENDOR(call) vendor::call
#else
#define HM_VENDOR(call) fail("vendor kernels need a CUDA build")
#endif

namespace {
std::atomic<KernelProvider> provider{KernelProvider::HandWritten};

// True when `device` runs the vendor libraries for the ops that have them.
bool use_vendor(Device device) { return HEATMARK_HAS_CUDA && device.is_cuda() && provider == KernelProvider::Vendor; }
}  // namespace

void set_kernel_provider(KernelProvider p) { provider = p; }
KernelProvider kernel_provider() { return provider; }

KernelProvider parse_kernel_provider(std::string_view text) {
  if (text == "handwritten") return KernelProvider::HandWritten;
  if (text == "vendor") return KernelProvider::Vendor;
  fail("unknown kernel provider '{}' (expected handwritten or vendor)", text);
}

void select_kernel_provider(std::string_view text, Device device) {
  const KernelProvider p = parse_kernel_provider(text);
  if (p == KernelProvider::Vendor) {
#if HEATMARK_HAS_CUDA
    vendor::versions();  // loads cuDNN and cuBLAS, or throws naming the missing one
    HM_CHECK(device.is_cuda(), "--kernels vendor: cuDNN and cuBLAS run on CUDA devices, and the device is {}",
             device.str());
#else
    fail("--kernels vendor: this build of heatmark has no CUDA backend (cuDNN, cuBLAS); use --kernels handwritten");
#endif
  }
  set_kernel_provider(p);
}

namespace {

}  // namespace

// ---- elementwise ------------------------------------------------------------

void fill(Tensor& y, float value) {
  profiler::OpScope scope("fill", profiler::OpKind::Elementwise, device_of(y));
  check_defined("fill", y, "output");
  if (y.device().is_cpu())
    cpu::fill(y.data(), value, y.numel());
  else
    HM_LAUNCH_ON(y.device(), fill, y.data(), value, y.numel());
}

void copy(Tensor& dst, const Tensor& src) {
  profiler::OpScope scope("copy", profiler::OpKind::Elementwise, device_of(dst));
  check_same_shape("copy", dst, "destination", src, "source");
  device_copy(dst.data(), dst.device(), src.data(), src.device(), sizeof(float) * src.numel());
}

Tensor add(const Tensor& a, const Tensor& b) {
  profiler::OpScope scope("add", profiler::OpKind::Elementwise, device_of(a));
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
  profiler::OpScope scope("mul", profiler::OpKind::Elementwise, device_of(a));
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
  profiler::OpScope scope("mul_backward", profiler::OpKind::Elementwise, device_of(a));
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
  profiler::OpScope scope("scale", profiler::OpKind::Elementwise, device_of(x));
  check_defined("scale", x, "input");
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu())
    cpu::scale_forward(x.data(), alpha, y.data(), x.numel());
  else
    HM_LAUNCH_ON(x.device(), scale_forward, x.data(), alpha, y.data(), x.numel());
  return y;
}

void accumulate(Tensor& y, const Tensor& x) {
  profiler::OpScope scope("accumulate", profiler::OpKind::Elementwise, device_of(y));
  check_same_shape("accumulate", y, "gradient", x, "addend");
  check_same_device("accumulate", y, x, "addend");
  if (y.device().is_cpu())
    cpu::accumulate(y.data(), x.data(), y.numel());
  else
    HM_LAUNCH_ON(y.device(), accumulate, y.data(), x.data(), y.numel());
}

Tensor relu_forward(const Tensor& x) {
  profiler::OpScope scope("relu_forward", profiler::OpKind::Elementwise, device_of(x));
  check_defined("relu", x, "input");
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu())
    cpu::relu_forward(x.data(), y.data(), x.numel());
  else
    HM_LAUNCH_ON(x.device(), relu_forward, x.data(), y.data(), x.numel());
  return y;
}

Tensor relu_backward(const Tensor& y, const Tensor& gy) {
  profiler::OpScope scope("relu_backward", profiler::OpKind::Elementwise, device_of(y));
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
  profiler::OpScope scope("sum", profiler::OpKind::Other, device_of(x));
  check_defined("sum", x, "input");
  return scaled_sum(x, 1.0f);
}

Tensor mean(const Tensor& x) {
  profiler::OpScope scope("mean", profiler::OpKind::Other, device_of(x));
  check_defined("mean", x, "input");
  HM_CHECK(x.numel() > 0, "mean: {} is empty (shape {})", x.label("input"), x.shape().str());
  return scaled_sum(x, 1.0f / static_cast<float>(x.numel()));
}

Tensor broadcast_scalar(const Tensor& g, const Shape& shape, float scale) {
  profiler::OpScope scope("broadcast_scalar", profiler::OpKind::Other, device_of(g));
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
  profiler::OpScope scope("matmul", profiler::OpKind::Other, device_of(a));
  check_matmul(a, b);
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  Tensor y = Tensor::empty({M, N}, a.device());
  if (a.device().is_cpu())
    cpu::matmul_forward_blas(a.data(), b.data(), y.data(), M, K, N);
  else if (use_vendor(a.device()))
    HM_VENDOR(matmul_forward(a.data(), b.data(), y.data(), M, K, N));
  else
    HM_LAUNCH_ON(a.device(), matmul_forward, a.data(), b.data(), y.data(), M, K, N);
  return y;
}

void matmul_backward(const Tensor& a, const Tensor& b, const Tensor& gy, Tensor* ga, Tensor* gb) {
  profiler::OpScope scope("matmul_backward", profiler::OpKind::Other, device_of(a));
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
  else if (use_vendor(a.device()))
    HM_VENDOR(matmul_backward(a.data(), b.data(), gy.data(), ga_data, gb_data, M, K, N));
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
  profiler::OpScope scope("conv2d_forward", profiler::OpKind::ConvForward, device_of(x));
  const Conv2dShape s = conv2d_shape(x, w, stride, padding);
  profiler::trace_conv(s);
  if (b.defined()) {
    check_channels("conv2d", b, "bias", s.C_out);
    check_same_device("conv2d", x, b, "bias");
  }
  Tensor y = Tensor::empty({s.N, s.C_out, s.OH, s.OW}, x.device());
  const float* bias = b.defined() ? b.data() : nullptr;
  if (x.device().is_cpu())
    cpu::conv2d_forward_gemm(s, x.data(), w.data(), bias, y.data());
  else if (use_vendor(x.device()))
    HM_VENDOR(conv2d_forward(s, x.data(), w.data(), bias, y.data()));
  else
    HM_LAUNCH_ON(x.device(), conv2d_forward, s, x.data(), w.data(), bias, y.data());
  return y;
}

Tensor conv2d_backward_data(const Conv2dShape& s, const Tensor& gy, const Tensor& w) {
  profiler::OpScope scope("conv2d_backward_data", profiler::OpKind::ConvBackward, device_of(gy));
  HM_CHECK(gy.shape() == Shape({s.N, s.C_out, s.OH, s.OW}), "conv2d backward: output gradient has shape {}, expected ({}, {}, {}, {})",
           gy.shape().str(), s.N, s.C_out, s.OH, s.OW);
  Tensor gx = Tensor::empty({s.N, s.C_in, s.H, s.W}, gy.device());
  if (gy.device().is_cpu())
    cpu::conv2d_backward_data_gemm(s, gy.data(), w.data(), gx.data());
  else if (use_vendor(gy.device()))
    HM_VENDOR(conv2d_backward_data(s, gy.data(), w.data(), gx.data()));
  else
    HM_LAUNCH_ON(gy.device(), conv2d_backward_data, s, gy.data(), w.data(), gx.data());
  return gx;
}

void conv2d_backward_weight(const Conv2dShape& s, const Tensor& x, const Tensor& gy, Tensor& gw) {
  profiler::OpScope scope("conv2d_backward_weight", profiler::OpKind::ConvBackward, device_of(x));
  HM_CHECK(gw.shape() == Shape({s.C_out, s.C_in, s.kH, s.kW}), "conv2d backward: weight gradient has shape {}",
           gw.shape().str());
  if (gy.device().is_cpu()) {
    cpu::conv2d_backward_weight_gemm(s, x.data(), gy.data(), gw.data());
    return;
  }
  if (use_vendor(gy.device())) {
    HM_VENDOR(conv2d_backward_weight(s, x.data(), gy.data(), gw.data()));
    return;
  }
  // The split-K workspace size is a property of the kernel source, the same in both builds.
  Tensor workspace = Tensor::empty({emu::conv2d_weight_workspace_floats(s)}, gy.device());
  HM_LAUNCH_ON(gy.device(), conv2d_backward_weight, s, x.data(), gy.data(), gw.data(), workspace.data());
}

void conv2d_backward_bias(const Conv2dShape& s, const Tensor& gy, Tensor& gb) {
  profiler::OpScope scope("conv2d_backward_bias", profiler::OpKind::ConvBackward, device_of(gy));
  check_channels("conv2d backward", gb, "bias gradient", s.C_out);
  if (gy.device().is_cpu())
    cpu::channel_sum_accumulate(gy.data(), s.N, s.C_out, s.OH * s.OW, gb.data());
  else if (use_vendor(gy.device()))
    HM_VENDOR(conv2d_backward_bias(s, gy.data(), gb.data()));
  else
    HM_LAUNCH_ON(gy.device(), conv2d_backward_bias, s, gy.data(), gb.data());
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
  profiler::OpScope scope("batchnorm_forward_train", profiler::OpKind::BatchNorm, device_of(x));
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
  saved.eps = eps;
  float* rm = update ? running_mean.data() : nullptr;
  float* rv = update ? running_var.data() : nullptr;
  if (x.device().is_cpu()) {
    cpu::batchnorm_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), saved.mean.data(),
                                 saved.invstd.data(), rm, rv, momentum, eps);
  } else if (use_vendor(x.device())) {
    HM_VENDOR(batchnorm_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), saved.mean.data(),
                                      saved.invstd.data(), rm, rv, momentum, eps));
  } else {
    Tensor workspace = Tensor::empty({emu::batchnorm_workspace_floats(s)}, x.device());
    HM_LAUNCH_ON(x.device(), batchnorm_forward_train, s, x.data(), gamma.data(), beta.data(), y.data(),
                 saved.mean.data(), saved.invstd.data(), rm, rv, momentum, eps, workspace.data());
  }
  return y;
}

Tensor batchnorm_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                              const Tensor& running_mean, const Tensor& running_var, float eps) {
  profiler::OpScope scope("batchnorm_forward_eval", profiler::OpKind::BatchNorm, device_of(x));
  const BatchNormShape s = check_batchnorm(x, gamma, &beta);
  check_channels("batchnorm2d", running_mean, "running mean", s.C);
  check_channels("batchnorm2d", running_var, "running var", s.C);
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu())
    cpu::batchnorm_forward_eval(s, x.data(), gamma.data(), beta.data(), running_mean.data(), running_var.data(),
                                eps, y.data());
  else if (use_vendor(x.device()))
    HM_VENDOR(batchnorm_forward_eval(s, x.data(), gamma.data(), beta.data(), running_mean.data(), running_var.data(),
                                     eps, y.data()));
  else
    HM_LAUNCH_ON(x.device(), batchnorm_forward_eval, s, x.data(), gamma.data(), beta.data(), running_mean.data(),
                 running_var.data(), eps, y.data());
  return y;
}

Tensor batchnorm_backward_train(const Tensor& x, const Tensor& gamma, const BatchNormSaved& saved,
                                const Tensor& gy, Tensor& ggamma, Tensor& gbeta) {
  profiler::OpScope scope("batchnorm_backward_train", profiler::OpKind::BatchNorm, device_of(x));
  const BatchNormShape s = check_batchnorm(x, gamma);
  check_same_shape("batchnorm2d backward", x, "input", gy, "output gradient");
  Tensor gx = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu()) {
    cpu::batchnorm_backward_train(s, x.data(), gamma.data(), saved.mean.data(), saved.invstd.data(), gy.data(),
                                  gx.data(), ggamma.data(), gbeta.data());
  } else if (use_vendor(x.device())) {
    HM_VENDOR(batchnorm_backward_train(s, x.data(), gamma.data(), saved.mean.data(), saved.invstd.data(), gy.data(),
                                       saved.eps, gx.data(), ggamma.data(), gbeta.data()));
  } else {
    Tensor workspace = Tensor::empty({emu::batchnorm_workspace_floats(s)}, x.device());
    HM_LAUNCH_ON(x.device(), batchnorm_backward, s, x.data(), gamma.data(), saved.mean.data(), saved.invstd.data(),
                 gy.data(), true, gx.data(), ggamma.data(), gbeta.data(), workspace.data());
  }
  return gx;
}

Tensor batchnorm_backward_eval(const Tensor& x, const Tensor& gamma, const Tensor& running_mean,
                               const Tensor& running_var, float eps, const Tensor& gy, Tensor& ggamma,
                               Tensor& gbeta) {
  profiler::OpScope scope("batchnorm_backward_eval", profiler::OpKind::BatchNorm, device_of(x));
  const BatchNormShape s = check_batchnorm(x, gamma);
  check_same_shape("batchnorm2d backward", x, "input", gy, "output gradient");
  Tensor gx = Tensor::empty(x.shape(), x.device());
  if (x.device().is_cpu()) {
    cpu::batchnorm_backward_eval(s, x.data(), gamma.data(), running_mean.data(), running_var.data(), eps,
                                 gy.data(), gx.data(), ggamma.data(), gbeta.data());
  } else {
    Tensor invstd = Tensor::empty({s.C}, x.device());
    Tensor workspace = Tensor::empty({emu::batchnorm_workspace_floats(s)}, x.device());
    HM_LAUNCH_ON(x.device(), batchnorm_invstd, s.C, running_var.data(), eps, invstd.data());
    HM_LAUNCH_ON(x.device(), batchnorm_backward, s, x.data(), gamma.data(), running_mean.data(), invstd.data(),
                 gy.data(), false, gx.data(), ggamma.data(), gbeta.data(), workspace.data());
  }
  return gx;
}

// ---- conv_transpose2d ------------------------------------------------------------

ConvTranspose2dShape conv_transpose2d_shape(const Tensor& x, const Tensor& w, int stride, int padding,
                                            int output_padding) {
  const char* op = "conv_transpose2d";
  check_ndim(op, x, "input", 4, "(N, C_in, H, W)");
  check_ndim(op, w, "weight", 4, "(C_in, C_out, kH, kW)");
  check_same_device(op, x, w, "weight");
  HM_CHECK(stride >= 1 && padding >= 0 && output_padding >= 0 && output_padding < stride,
           "conv_transpose2d: stride {} must be >= 1, padding {} >= 0, and output padding {} in [0, stride)", stride,
           padding, output_padding);
  HM_CHECK(x.size(1) == w.size(0), "conv_transpose2d: {} has {} channels (shape {}) but {} expects {} (shape {})",
           x.label("input"), x.size(1), x.shape().str(), w.label("weight"), w.size(0), w.shape().str());
  const ConvTranspose2dShape s = ConvTranspose2dShape::make(x.size(0), x.size(1), x.size(2), x.size(3), w.size(1),
                                                            w.size(2), w.size(3), stride, padding, output_padding);
  HM_CHECK(s.OH >= 1 && s.OW >= 1, "conv_transpose2d: {} of shape {} with weight {} and padding {} gives an empty output",
           x.label("input"), x.shape().str(), w.shape().str(), padding);
  return s;
}

Tensor conv_transpose2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int padding,
                                int output_padding) {
  profiler::OpScope scope("conv_transpose2d_forward", profiler::OpKind::ConvForward, device_of(x));
  const ConvTranspose2dShape s = conv_transpose2d_shape(x, w, stride, padding, output_padding);
  if (b.defined()) {
    check_channels("conv_transpose2d", b, "bias", s.C_out);
    check_same_device("conv_transpose2d", x, b, "bias");
  }
  Tensor y = Tensor::empty({s.N, s.C_out, s.OH, s.OW}, x.device());
  const float* bias = b.defined() ? b.data() : nullptr;
  if (x.device().is_cpu()) {
    cpu::conv_transpose2d_forward_gemm(s, x.data(), w.data(), bias, y.data());
  } else if (use_vendor(x.device())) {
    // The transposed convolution is its convolution's data gradient (ConvTranspose2dShape::as_conv).
    HM_VENDOR(conv2d_backward_data(s.as_conv(), x.data(), w.data(), y.data()));
    if (bias) HM_VENDOR(add_channel_bias(y.data(), bias, s.N, s.C_out, s.OH * s.OW));
  } else {
    HM_LAUNCH_ON(x.device(), conv_transpose2d_forward, s, x.data(), w.data(), bias, y.data());
  }
  return y;
}

Tensor conv_transpose2d_backward_data(const ConvTranspose2dShape& s, const Tensor& gy, const Tensor& w) {
  profiler::OpScope scope("conv_transpose2d_backward_data", profiler::OpKind::ConvBackward, device_of(gy));
  HM_CHECK(gy.shape() == Shape({s.N, s.C_out, s.OH, s.OW}),
           "conv_transpose2d backward: output gradient has shape {}, expected ({}, {}, {}, {})", gy.shape().str(), s.N,
           s.C_out, s.OH, s.OW);
  Tensor gx = Tensor::empty({s.N, s.C_in, s.H, s.W}, gy.device());
  if (gy.device().is_cpu())
    cpu::conv_transpose2d_backward_data_gemm(s, gy.data(), w.data(), gx.data());
  else if (use_vendor(gy.device()))
    HM_VENDOR(conv2d_forward(s.as_conv(), gy.data(), w.data(), nullptr, gx.data()));
  else
    HM_LAUNCH_ON(gy.device(), conv_transpose2d_backward_data, s, gy.data(), w.data(), gx.data());
  return gx;
}

void conv_transpose2d_backward_weight(const ConvTranspose2dShape& s, const Tensor& x, const Tensor& gy, Tensor& gw) {
  profiler::OpScope scope("conv_transpose2d_backward_weight", profiler::OpKind::ConvBackward, device_of(x));
  HM_CHECK(gw.shape() == Shape({s.C_in, s.C_out, s.kH, s.kW}),
           "conv_transpose2d backward: weight gradient has shape {}", gw.shape().str());
  if (gy.device().is_cpu())
    cpu::conv_transpose2d_backward_weight_gemm(s, x.data(), gy.data(), gw.data());
  else if (use_vendor(gy.device()))
    HM_VENDOR(conv2d_backward_weight(s.as_conv(), gy.data(), x.data(), gw.data()));
  else
    HM_LAUNCH_ON(gy.device(), conv_transpose2d_backward_weight, s, x.data(), gy.data(), gw.data());
}

void conv_transpose2d_backward_bias(const ConvTranspose2dShape& s, const Tensor& gy, Tensor& gb) {
  profiler::OpScope scope("conv_transpose2d_backward_bias", profiler::OpKind::ConvBackward, device_of(gy));
  check_channels("conv_transpose2d backward", gb, "bias gradient", s.C_out);
  if (gy.device().is_cpu())
    cpu::channel_sum_accumulate(gy.data(), s.N, s.C_out, s.OH * s.OW, gb.data());
  else
    HM_LAUNCH_ON(gy.device(), channel_sum_accumulate, gy.data(), s.N, s.C_out, s.OH * s.OW, gb.data());
}

// ---- upsampling -------------------------------------------------------------

Tensor upsample_nearest_forward(const Tensor& x, int factor) {
  profiler::OpScope scope("upsample_nearest_forward", profiler::OpKind::Resample, device_of(x));
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
  profiler::OpScope scope("upsample_nearest_backward", profiler::OpKind::Resample, device_of(gy));
  const UpsampleShape s{x_shape[0], x_shape[1], x_shape[2], x_shape[3], gy.size(2), gy.size(3)};
  Tensor gx = Tensor::empty(x_shape, gy.device());
  if (gy.device().is_cpu())
    cpu::upsample_nearest_backward(s, gy.data(), gx.data());
  else
    HM_LAUNCH_ON(gy.device(), upsample_nearest_backward, s, gy.data(), gx.data());
  return gx;
}

Tensor upsample_bilinear_forward(const Tensor& x, int64_t out_h, int64_t out_w) {
  profiler::OpScope scope("upsample_bilinear_forward", profiler::OpKind::Resample, device_of(x));
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
  profiler::OpScope scope("upsample_bilinear_backward", profiler::OpKind::Resample, device_of(gy));
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
  profiler::OpScope scope("concat_channels", profiler::OpKind::Resample, device_of(xs.empty() ? Tensor() : xs.front()));
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
  profiler::OpScope scope("slice_channels", profiler::OpKind::Resample, device_of(y));
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

// ---- landmark heatmaps -------------------------------------------------------

namespace {
HeatmapShape check_landmarks(const char* op, const Tensor& coords, const char* role) {
  check_ndim(op, coords, role, 3, "(N, K, 2)");
  HM_CHECK(coords.size(2) == 2, "{}: {} must have shape (N, K, 2), got {}", op, coords.label(role),
           coords.shape().str());
  return {coords.size(0), coords.size(1), 0, 0};
}

void check_landmark_weights(const char* op, const Tensor& weight, const HeatmapShape& s, const char* role) {
  check_defined(op, weight, role);
  HM_CHECK(weight.shape() == Shape({s.N, s.K}), "{}: {} must have shape ({}, {}), got {}", op, weight.label(role),
           s.N, s.K, weight.shape().str());
}
}  // namespace

HeatmapTargets render_gaussian_heatmaps(const Tensor& coords, const Tensor& visibility, int64_t height, int64_t width,
                                        float sigma) {
  profiler::OpScope scope("render_gaussian_heatmaps", profiler::OpKind::Loss, device_of(coords));
  HeatmapShape s = check_landmarks("render_gaussian_heatmaps", coords, "coordinates");
  check_landmark_weights("render_gaussian_heatmaps", visibility, s, "visibility");
  check_same_device("render_gaussian_heatmaps", coords, visibility, "visibility");
  HM_CHECK(height >= 1 && width >= 1 && sigma > 0, "render_gaussian_heatmaps: a {}x{} map with sigma {} is invalid",
           height, width, sigma);
  s.H = height;
  s.W = width;
  HeatmapTargets out{Tensor::empty({s.N, s.K, s.H, s.W}, coords.device()), Tensor::empty({s.N, s.K}, coords.device())};
  if (coords.device().is_cpu())
    cpu::render_gaussian_heatmaps(s, coords.data(), visibility.data(), sigma, out.target.data(), out.weight.data());
  else
    HM_LAUNCH_ON(coords.device(), render_gaussian_heatmaps, s, coords.data(), visibility.data(), sigma,
                 out.target.data(), out.weight.data());
  return out;
}

Tensor soft_argmax_forward(const Tensor& heatmaps, float beta) {
  profiler::OpScope scope("soft_argmax_forward", profiler::OpKind::Loss, device_of(heatmaps));
  check_ndim("soft_argmax", heatmaps, "heatmaps", 4, "(N, K, H, W)");
  const HeatmapShape s{heatmaps.size(0), heatmaps.size(1), heatmaps.size(2), heatmaps.size(3)};
  HM_CHECK(s.H * s.W > 0 && beta > 0, "soft_argmax: {} of shape {} with beta {} is invalid", heatmaps.label("heatmaps"),
           heatmaps.shape().str(), beta);
  Tensor coords = Tensor::empty({s.N, s.K, 2}, heatmaps.device());
  if (heatmaps.device().is_cpu())
    cpu::soft_argmax_forward(s, heatmaps.data(), beta, coords.data());
  else
    HM_LAUNCH_ON(heatmaps.device(), soft_argmax_forward, s, heatmaps.data(), beta, coords.data());
  return coords;
}

Tensor soft_argmax_backward(const Tensor& heatmaps, const Tensor& coords, const Tensor& g_coords, float beta) {
  profiler::OpScope scope("soft_argmax_backward", profiler::OpKind::Loss, device_of(heatmaps));
  const HeatmapShape s{heatmaps.size(0), heatmaps.size(1), heatmaps.size(2), heatmaps.size(3)};
  check_same_shape("soft_argmax backward", coords, "coordinates", g_coords, "coordinate gradient");
  Tensor g = Tensor::empty(heatmaps.shape(), heatmaps.device());
  if (heatmaps.device().is_cpu())
    cpu::soft_argmax_backward(s, heatmaps.data(), coords.data(), g_coords.data(), beta, g.data());
  else
    HM_LAUNCH_ON(heatmaps.device(), soft_argmax_backward, s, heatmaps.data(), coords.data(), g_coords.data(), beta,
                 g.data());
  return g;
}

// ---- losses ---------------------------------------------------------------------

namespace {
// (maps, values per map) of a prediction whose first two dimensions are (N, K).
std::pair<int64_t, int64_t> check_loss_inputs(const char* op, const Tensor& pred, const Tensor& target,
                                              const Tensor& weight) {
  check_same_shape(op, pred, "prediction", target, "target");
  check_same_device(op, pred, target, "target");
  check_same_device(op, pred, weight, "weight");
  HM_CHECK(pred.ndim() >= 2, "{}: {} must be (N, K, ...), got shape {}", op, pred.label("prediction"),
           pred.shape().str());
  check_landmark_weights(op, weight, HeatmapShape{pred.size(0), pred.size(1), 0, 0}, "weight");
  const int64_t maps = pred.size(0) * pred.size(1);
  return {maps, maps == 0 ? 0 : pred.numel() / maps};
}
}  // namespace

Tensor weighted_mse_forward(const Tensor& pred, const Tensor& target, const Tensor& weight) {
  profiler::OpScope scope("weighted_mse_forward", profiler::OpKind::Loss, device_of(pred));
  const auto [maps, per_map] = check_loss_inputs("heatmap mse", pred, target, weight);
  HM_CHECK(pred.numel() > 0, "heatmap mse: {} is empty", pred.label("prediction"));
  if (pred.device().is_cpu())
    return Tensor::scalar(
        static_cast<float>(cpu::weighted_mse_forward(pred.data(), target.data(), weight.data(), maps, per_map)));
  Tensor out = Tensor::empty(Shape{}, pred.device()), partials = Tensor::empty({maps}, pred.device());
  HM_LAUNCH_ON(pred.device(), weighted_mse_forward, pred.data(), target.data(), weight.data(), maps, per_map,
               partials.data(), out.data());
  return out;
}

Tensor weighted_mse_backward(const Tensor& pred, const Tensor& target, const Tensor& weight, const Tensor& g) {
  profiler::OpScope scope("weighted_mse_backward", profiler::OpKind::Loss, device_of(pred));
  const auto [maps, per_map] = check_loss_inputs("heatmap mse backward", pred, target, weight);
  Tensor grad = Tensor::empty(pred.shape(), pred.device());
  if (pred.device().is_cpu())
    cpu::weighted_mse_backward(pred.data(), target.data(), weight.data(), maps, per_map, g.item(), grad.data());
  else
    HM_LAUNCH_ON(pred.device(), weighted_mse_backward, pred.data(), target.data(), weight.data(), maps, per_map,
                 g.data(), grad.data());
  return grad;
}

Tensor weighted_l1_forward(const Tensor& pred, const Tensor& truth, const Tensor& weight) {
  profiler::OpScope scope("weighted_l1_forward", profiler::OpKind::Loss, device_of(pred));
  check_landmarks("coordinate l1", pred, "predicted coordinates");
  const auto [points, per_point] = check_loss_inputs("coordinate l1", pred, truth, weight);
  HM_CHECK(points > 0, "coordinate l1: {} is empty", pred.label("predicted coordinates"));
  if (pred.device().is_cpu())
    return Tensor::scalar(static_cast<float>(cpu::weighted_l1_forward(pred.data(), truth.data(), weight.data(), points)));
  Tensor out = Tensor::empty(Shape{}, pred.device());
  HM_LAUNCH_ON(pred.device(), weighted_l1_forward, pred.data(), truth.data(), weight.data(), points, out.data());
  return out;
}

Tensor weighted_l1_backward(const Tensor& pred, const Tensor& truth, const Tensor& weight, const Tensor& g) {
  profiler::OpScope scope("weighted_l1_backward", profiler::OpKind::Loss, device_of(pred));
  const auto [points, per_point] = check_loss_inputs("coordinate l1 backward", pred, truth, weight);
  Tensor grad = Tensor::empty(pred.shape(), pred.device());
  if (pred.device().is_cpu())
    cpu::weighted_l1_backward(pred.data(), truth.data(), weight.data(), points, g.item(), grad.data());
  else
    HM_LAUNCH_ON(pred.device(), weighted_l1_backward, pred.data(), truth.data(), weight.data(), points, g.data(),
                 grad.data());
  return grad;
}

// ---- optimizers -------------------------------------------------------------------

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

// The multi-tensor chunk table of ParamChunks (see tensor/op_shapes.h).
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
    const double scale = host_grad_scale(grad_scale);
    // One parallel loop over the chunks of all parameters, as the GPU kernel
    // does: most tensors are too small to split across threads alone.
    const std::vector<ParamChunk> chunks = chunk_table(params, grads, &m, &v);
    parallel_items(static_cast<int64_t>(chunks.size()), [&](int64_t c) {
      const ParamChunk& k = chunks[c];
      cpu::adam_update_range(o, h.bias_correction1, h.bias_correction2, scale, k.param + k.offset,
                             k.grad + k.offset, k.state0 + k.offset, k.state1 + k.offset, k.count);
    });
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
    // One parallel loop over the chunks of all tensors (most are small), the
    // partial sums then added in chunk order: deterministic for any thread count.
    const std::vector<ParamChunk> chunks = chunk_table(grads, grads, nullptr, nullptr);
    std::vector<double> partial(chunks.size());
    parallel_items(static_cast<int64_t>(chunks.size()), [&](int64_t c) {
      partial[c] = cpu::squared_norm_block(chunks[c].grad + chunks[c].offset, chunks[c].count);
    });
    double sum = 0;
    for (double p : partial) sum += p;
    const double norm = std::sqrt(sum);
    const double scale = max_norm > 0 ? std::min(1.0, max_norm / (norm + 1e-6)) : 1.0;
    return Tensor::from_vector({static_cast<float>(norm), static_cast<float>(scale)}, {2});
  }
  const std::vector<ParamChunk> chunks = chunk_table(grads, grads, nullptr, nullptr);
  const DeviceBuffer table(device, chunks.data(), chunks.size() * sizeof(ParamChunk));
  Tensor partials = Tensor::empty({static_cast<int64_t>(chunks.size())}, device), out = Tensor::empty({2}, device);
  HM_LAUNCH_ON(device, gradient_norm, static_cast<const ParamChunk*>(table.data()), static_cast<int64_t>(chunks.size()),
               max_norm, partials.data(), out.data());
  return out;
}

}  // namespace heatmark::kernels
