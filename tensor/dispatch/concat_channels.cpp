// Dispatch of concat_channels and slice_channels: checks, then the CPU kernel or a launcher (or a
// vendor library) for the device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/concat_channels.h"

namespace heatmark::kernels {

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
      cpu::concat_channels(x.data(), y.data(), N, x.size(1), channels, offset, HW);
    else
      HM_LAUNCH_ON(first.device(), concat_channels, x.data(), y.data(), N, x.size(1), channels, offset, HW);
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
    cpu::slice_channels(y.data(), x.data(), N, y.size(1), channels, offset, HW);
  else
    HM_LAUNCH_ON(y.device(), slice_channels, y.data(), x.data(), N, y.size(1), channels, offset, HW);
  return x;
}

}  // namespace heatmark::kernels
