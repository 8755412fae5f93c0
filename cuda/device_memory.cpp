#include "cuda/device_memory.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "base/error.h"
#include "cuda/info.h"
#include "cuda/sim/memory_model.h"

#if HEATMARK_HAS_CUDA
#include <cuda_runtime_api.h>

#include "cuda/runtime/check.h"
#endif

namespace heatmark {

namespace {

// Host memory, 256-byte aligned (as cudaMalloc; a multiple of the CPU's 64).
void* host_raw_allocate(size_t bytes) { return std::aligned_alloc(256, (bytes + 255) / 256 * 256); }
void host_raw_free(void* p) { std::free(p); }

// The emulated GPU's memory is host memory, known to the memory model as
// global memory.
void* emu_raw_allocate(size_t bytes) {
  void* p = host_raw_allocate(bytes);
  if (p) sim::register_allocation(p, bytes);
  return p;
}
void emu_raw_free(void* p) {
  sim::unregister_allocation(p);
  host_raw_free(p);
}

// The emulated GPU's memory is the host's, or HEATMARK_EMU_MEMORY_MB to see
// what running out of GPU memory looks like without a GPU.
CachingAllocator& emu_allocator() {
  static CachingAllocator allocator("emu", emu_raw_allocate, emu_raw_free);
  static const bool limited = [] {
    const char* mb = std::getenv("HEATMARK_EMU_MEMORY_MB");
    if (mb) allocator.set_limit(static_cast<size_t>(std::strtoull(mb, nullptr, 10)) << 20);
    return mb != nullptr;
  }();
  (void)limited;
  return allocator;
}

// CPU tensors are cached too: a training step frees and reallocates the same
// activation sizes, and fresh large blocks from the system cost page faults
// and zeroing every time.
CachingAllocator& cpu_allocator() {
  static CachingAllocator allocator("cpu", host_raw_allocate, host_raw_free);
  return allocator;
}

#if HEATMARK_HAS_CUDA
// cudaMalloc on the current device; nullptr when out of memory (other errors throw).
void* cuda_raw_allocate(size_t bytes) {
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear it: the allocator empties its cache and retries
    return nullptr;
  }
  HM_CUDA_CHECK(status);
  return p;
}
void cuda_raw_free(void* p) { cudaFree(p); }

CachingAllocator& cuda_allocator(int index) {
  static std::mutex mutex;
  static std::vector<std::unique_ptr<CachingAllocator>> allocators;
  std::lock_guard lock(mutex);
  if (static_cast<int>(allocators.size()) <= index) allocators.resize(index + 1);
  if (!allocators[index])
    allocators[index] = std::make_unique<CachingAllocator>(Device::cuda(index).str(), cuda_raw_allocate, cuda_raw_free);
  return *allocators[index];
}
#endif

CachingAllocator& allocator_for(Device device) {
  if (device.is_cpu()) return cpu_allocator();
  if (device.is_emu()) return emu_allocator();
#if HEATMARK_HAS_CUDA
  if (device.is_cuda()) {
    cuda::use_device(device.index);
    return cuda_allocator(device.index);
  }
#endif
  fail("device {} is not available: {}", device.str(),
       cuda::built_with_cuda() ? cuda::device_summary() : "this build of heatmark has no CUDA backend");
}

}  // namespace

void* device_allocate(Device device, size_t bytes) { return allocator_for(device).allocate(bytes); }
void device_release(Device device, void* pointer) { allocator_for(device).release(pointer); }
AllocatorStats device_memory_stats(Device device) { return allocator_for(device).stats(); }
void device_reset_peak(Device device) { allocator_for(device).reset_peak(); }
void device_empty_cache(Device device) { allocator_for(device).empty_cache(); }

void device_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  const bool host_dst = !dst_device.is_cuda(), host_src = !src_device.is_cuda();
  if (host_dst && host_src) {  // CPU and Emu memory are both host memory
    std::memcpy(dst, src, bytes);
    return;
  }
#if HEATMARK_HAS_CUDA
  cuda::use_device(dst_device.is_cuda() ? dst_device.index : src_device.index);
  HM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault));
#else
  fail("copy to or from {}: this build of heatmark has no CUDA backend", (host_dst ? src_device : dst_device).str());
#endif
}

DeviceBuffer::DeviceBuffer(Device device, const void* host_bytes, size_t bytes)
    : device_(device), data_(device_allocate(device, bytes)) {
  device_copy(data_, device_, host_bytes, Device::cpu(), bytes);
}

DeviceBuffer::~DeviceBuffer() { device_release(device_, data_); }

}  // namespace heatmark
