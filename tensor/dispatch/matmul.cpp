// Dispatch of matmul: checks, then the CPU kernel or a launcher (or a vendor library) for the
// device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/matmul.h"

namespace heatmark::kernels {

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
    cpu::matmul_forward_tiled(a.data(), b.data(), y.data(), M, K, N);
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
    cpu::matmul_backward_tiled(a.data(), b.data(), gy.data(), ga_data, gb_data, M, K, N);
  else if (use_vendor(a.device()))
    HM_VENDOR(matmul_backward(a.data(), b.data(), gy.data(), ga_data, gb_data, M, K, N));
  else
    HM_LAUNCH_ON(a.device(), matmul_backward, a.data(), b.data(), gy.data(), ga_data, gb_data, M, K, N);
}

}  // namespace heatmark::kernels
