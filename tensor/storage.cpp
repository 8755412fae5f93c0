#include "tensor/storage.h"

#include <cstdlib>

#include "cuda/device_memory.h"
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

}  // namespace

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device) {
  void* data = device.is_cpu() ? allocate_cpu(bytes) : device_allocate(device, bytes);
  return std::shared_ptr<Storage>(new Storage(data, bytes, device));
}

Storage::~Storage() {
  if (device_.is_cpu())
    std::free(data_);
  else
    device_release(device_, data_);
}

}  // namespace heatmark
