#include "tensor/storage.h"

#include "base/error.h"
#include "cuda/device_memory.h"

namespace heatmark {

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device) {
  return std::shared_ptr<Storage>(new Storage(device_allocate(device, bytes), bytes, device));
}

Storage::~Storage() { device_release(device_, data_); }

}  // namespace heatmark
