// Dispatch of the elementwise ops (fill, copy, add, mul, scale, accumulate, ReLU): checks, then
// the CPU kernel or a launcher (or a vendor library) for the device.
#include "tensor/dispatch/dispatch.h"

#include "cuda/device_memory.h"
#include "tensor/cpu/elementwise.h"

namespace heatmark::kernels {

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

}  // namespace heatmark::kernels
