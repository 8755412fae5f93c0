#include "tensor/storage.h"

#include <cstdlib>
#include <cstring>

#include "tensor/error.h"

namespace heatmark {

namespace {

void* allocate_cpu(size_t bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment.
  const size_t rounded = (bytes + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
  void* p = std::aligned_alloc(kCpuAlignment, rounded == 0 ? kCpuAlignment : rounded);
  HM_CHECK(p != nullptr, "out of host memory allocating {} bytes", bytes);
  return p;
}

[[noreturn]] void no_cuda(Device device) {
  fail("device {} is not available: this build of heatmark has no CUDA backend", device.str());
}

}  // namespace

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device) {
  if (device.is_cpu()) return std::shared_ptr<Storage>(new Storage(allocate_cpu(bytes), bytes, device));
  no_cuda(device);
}

Storage::~Storage() {
  if (device_.is_cpu()) std::free(data_);
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
  no_cuda(dst_device.is_cpu() ? src_device : dst_device);
}

}  // namespace heatmark
