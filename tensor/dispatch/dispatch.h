// The dispatch core, internal to tensor/dispatch/: the checks with messages
// that name the tensors, backend selection (which kernels a device runs), and
// the two macros that call a hand-written launcher or a vendor library. Each
// op family's dispatch file (one per op, named like its .cu file and its CPU
// kernel) includes this and nothing else of the machinery.
#pragma once

#include "base/error.h"
#include "cuda/kernels/launchers.h"
#include "cuda/sim/memory_model.h"
#include "tensor/kernels.h"
#include "tensor/profiler.h"
#include "tensor/tensor.h"

#if HEATMARK_HAS_CUDA
#include "cuda/runtime/stream.h"
#include "cuda/vendor/vendor.h"
#endif

namespace heatmark::kernels {

// The device a possibly undefined tensor is on, for the profiler.
inline Device device_of(const Tensor& t) { return t.defined() ? t.device() : Device::cpu(); }

// True when `device` runs the vendor libraries for the ops that have them:
// the provider is Vendor and the device is CUDA (in a CUDA build) or the CPU
// (in a build with oneDNN).
bool use_vendor(Device device);

// ---- checks with messages that name the tensors --------------------------
void check_defined(const char* op, const Tensor& t, const char* role);
void check_same_shape(const char* op, const Tensor& a, const char* role_a, const Tensor& b, const char* role_b);
void check_ndim(const char* op, const Tensor& t, const char* role, int ndim, const char* layout);
void check_channels(const char* op, const Tensor& t, const char* role, int64_t channels);
void check_same_device(const char* op, const Tensor& a, const Tensor& b, const char* role_b);
// Landmark coordinates (N, K, 2); returns (N, K) with H = W = 0.
HeatmapShape check_landmarks(const char* op, const Tensor& coords, const char* role);
// A per-landmark weight or visibility of shape (N, K).
void check_landmark_weights(const char* op, const Tensor& weight, const HeatmapShape& s, const char* role);

}  // namespace heatmark::kernels

// Runs a hand-written kernel's launcher on the tensor's GPU-like device: the
// emulated build (heatmark::emu, or its traced copy heatmark::emu_traced
// while the memory model is on) for Emu, the nvcc build (heatmark::cuda) on
// the current stream for CUDA. The launchers have identical signatures.
#if HEATMARK_HAS_MEMORY_MODEL
#define HM_LAUNCH_EMU(launcher, ...)                                                                       \
  (::heatmark::sim::memory_model_enabled() ? emu_traced::launcher(__VA_ARGS__, nullptr) \
                                           : emu::launcher(__VA_ARGS__, nullptr))
#else
#define HM_LAUNCH_EMU(launcher, ...) emu::launcher(__VA_ARGS__, nullptr)
#endif
#if HEATMARK_HAS_CUDA
#define HM_LAUNCH_ON(device, launcher, ...)                                                   \
  ((device).is_emu() ? HM_LAUNCH_EMU(launcher, __VA_ARGS__)                                  \
                     : cuda::launcher(__VA_ARGS__, static_cast<void*>(cuda::current_stream())))
#else
#define HM_LAUNCH_ON(device, launcher, ...) HM_LAUNCH_EMU(launcher, __VA_ARGS__)
#endif

// A vendor library call (only reached when use_vendor() said so).
#if HEATMARK_HAS_CUDA
#define HM_VENDOR(call) vendor::call
#else
#define HM_VENDOR(call) fail("vendor kernels need a CUDA build")
#endif
