// The dispatch core: which kernels run (the provider), and the shared checks.
#include "tensor/dispatch/dispatch.h"

#include <atomic>

#include "tensor/cpu/vendor/onednn.h"

namespace heatmark::kernels {

namespace {
std::atomic<KernelProvider> provider{KernelProvider::HandWritten};
}  // namespace

bool use_vendor(Device device) {
  if (provider != KernelProvider::Vendor) return false;
  if (device.is_cpu()) return onednn::built_in();
  return HEATMARK_HAS_CUDA && device.is_cuda();
}

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
    if (device.is_cpu()) {
      onednn::version();  // loads oneDNN, or throws naming what is missing and what to install
    } else {
#if HEATMARK_HAS_CUDA
      HM_CHECK(device.is_cuda(), "--kernels vendor: there are no vendor kernels for {}; use cpu (oneDNN) or cuda "
               "(cuDNN and cuBLAS)", device.str());
      vendor::versions();  // loads cuDNN and cuBLAS, or throws naming the missing one
#else
      fail("--kernels vendor: this build of heatmark has no CUDA backend (cuDNN, cuBLAS) for {}; use --device cpu "
           "(oneDNN) or --kernels handwritten", device.str());
#endif
    }
  }
  set_kernel_provider(p);
}

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

}  // namespace heatmark::kernels
