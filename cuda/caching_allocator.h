// A caching allocator for device memory, with statistics.
//
// cudaMalloc and cudaFree are slow and synchronise the device, and a training
// step allocates the same sizes over and over. So freed blocks are kept in a
// cache and handed out again for requests of a similar size (up to twice the
// request, to bound waste). When the device runs out of memory the cache is
// returned to the device and the allocation retried once.
//
// The same class serves the emulated device (host memory), so its behaviour
// and statistics are tested in CI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace heatmark {

struct AllocatorStats {
  size_t allocated = 0;       // bytes handed out and not yet released (rounded sizes)
  size_t reserved = 0;        // allocated + cached, i.e. what the device holds for us
  size_t peak_allocated = 0;  // since creation or reset_peak()
  size_t peak_reserved = 0;
  uint64_t allocations = 0;      // allocate() calls
  uint64_t cache_hits = 0;       // ... served from the cache
  uint64_t raw_allocations = 0;  // ... that reached the device allocator
};

class CachingAllocator {
 public:
  using RawAllocate = void* (*)(size_t bytes);  // returns nullptr when out of memory
  using RawFree = void (*)(void* pointer);

  CachingAllocator(std::string device_name, RawAllocate raw_allocate, RawFree raw_free);
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // Throws heatmark::OutOfMemory when the device is out of memory (or over
  // the limit) even after the cache was emptied; the message gives the
  // request and the usage.
  void* allocate(size_t bytes);
  void release(void* pointer);
  void empty_cache();  // returns every cached block to the device
  AllocatorStats stats() const;
  void reset_peak();
  // Refuses to hold more than `bytes` (cached blocks included).
  void set_limit(size_t bytes);

  // Sizes are rounded up to 512 bytes, and to 1 MiB above 1 MiB, so that
  // blocks are reusable across slightly different requests.
  static size_t rounded_size(size_t bytes);

 private:
  void empty_cache_locked();

  const std::string device_name_;
  const RawAllocate raw_allocate_;
  const RawFree raw_free_;
  size_t limit_ = SIZE_MAX;
  mutable std::mutex mutex_;
  std::unordered_map<void*, size_t> in_use_;  // pointer -> rounded size
  std::multimap<size_t, void*> cached_;       // rounded size -> free block
  AllocatorStats stats_;
};

}  // namespace heatmark
