// Memory on every device: allocation through a caching allocator per device,
// statistics, and copies between any two devices.
//   CPU      host memory, 256-byte aligned (cached: see device_memory.cpp).
//   Emu      host memory, 256-byte aligned like cudaMalloc, always available.
//   CUDA:i   GPU memory, when CUDA is built in and the GPU exists.
#pragma once

#include <cstddef>

#include "base/device.h"
#include "cuda/caching_allocator.h"

namespace heatmark {

void* device_allocate(Device device, size_t bytes);
void device_release(Device device, void* pointer);
AllocatorStats device_memory_stats(Device device);
void device_reset_peak(Device device);
void device_empty_cache(Device device);

// Copies bytes between any two devices (CPU, Emu, CUDA); synchronous.
void device_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);

// Device memory for data that is not a float tensor (kernel argument tables),
// filled from host bytes and released when it goes out of scope.
class DeviceBuffer {
 public:
  DeviceBuffer(Device device, const void* host_bytes, size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* data() const { return data_; }

 private:
  Device device_;
  void* data_;
};

}  // namespace heatmark
