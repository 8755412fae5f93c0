// Storage: one reference-counted block of memory on one device.
//
// CPU blocks are 64-byte aligned (a cache line, and the widest AVX-512 load),
// so kernels may use aligned vector loads on the start of any tensor.
#pragma once

#include <cstddef>
#include <memory>

#include "base/device.h"

namespace heatmark {

inline constexpr size_t kCpuAlignment = 64;

class Storage {
 public:
  // Uninitialised memory for `bytes` bytes on `device`.
  static std::shared_ptr<Storage> allocate(size_t bytes, Device device);

  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Storage(void* data, size_t bytes, Device device) : data_(data), bytes_(bytes), device_(device) {}

  void* data_;
  size_t bytes_;
  Device device_;
};

}  // namespace heatmark
