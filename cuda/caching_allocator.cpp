#include "cuda/caching_allocator.h"

#include <algorithm>

#include "base/error.h"

namespace heatmark {

namespace {
constexpr size_t kSmallRound = 512;
constexpr size_t kLargeRound = size_t{1} << 20;
double mib(size_t bytes) { return static_cast<double>(bytes) / (1 << 20); }
}  // namespace

CachingAllocator::CachingAllocator(std::string device_name, RawAllocate raw_allocate, RawFree raw_free)
    : device_name_(std::move(device_name)), raw_allocate_(raw_allocate), raw_free_(raw_free) {}

CachingAllocator::~CachingAllocator() {
  // Blocks still in use belong to tensors that outlive the allocator (static
  // destruction order); only the cache is ours to return.
  std::lock_guard lock(mutex_);
  empty_cache_locked();
}

size_t CachingAllocator::rounded_size(size_t bytes) {
  bytes = std::max<size_t>(bytes, 1);
  const size_t unit = bytes > kLargeRound ? kLargeRound : kSmallRound;
  return (bytes + unit - 1) / unit * unit;
}

void* CachingAllocator::allocate(size_t bytes) {
  const size_t size = rounded_size(bytes);
  std::lock_guard lock(mutex_);
  ++stats_.allocations;
  void* pointer = nullptr;
  // The smallest cached block that fits, if it wastes at most half.
  auto it = cached_.lower_bound(size);
  if (it != cached_.end() && it->first <= 2 * size) {
    pointer = it->second;
    in_use_[pointer] = it->first;
    stats_.allocated += it->first;
    cached_.erase(it);
    ++stats_.cache_hits;
  } else {
    auto raw = [&] { return stats_.reserved + size <= limit_ ? raw_allocate_(size) : nullptr; };
    pointer = raw();
    if (!pointer && !cached_.empty()) {
      empty_cache_locked();
      pointer = raw();
    }
    if (!pointer)
      throw OutOfMemory(fmt::format("out of memory on {}: cannot allocate {:.1f} MiB ({:.1f} MiB in use by tensors, "
                                    "peak {:.1f} MiB)",
                                    device_name_, mib(size), mib(stats_.allocated), mib(stats_.peak_allocated)));
    ++stats_.raw_allocations;
    in_use_[pointer] = size;
    stats_.allocated += size;
    stats_.reserved += size;
  }
  stats_.peak_allocated = std::max(stats_.peak_allocated, stats_.allocated);
  stats_.peak_reserved = std::max(stats_.peak_reserved, stats_.reserved);
  return pointer;
}

void CachingAllocator::release(void* pointer) {
  if (!pointer) return;
  std::lock_guard lock(mutex_);
  auto it = in_use_.find(pointer);
  HM_CHECK(it != in_use_.end(), "{}: release of a pointer this allocator did not hand out", device_name_);
  stats_.allocated -= it->second;
  cached_.emplace(it->second, pointer);
  in_use_.erase(it);
}

void CachingAllocator::empty_cache() {
  std::lock_guard lock(mutex_);
  empty_cache_locked();
}

void CachingAllocator::empty_cache_locked() {
  for (auto& [size, pointer] : cached_) {
    raw_free_(pointer);
    stats_.reserved -= size;
  }
  cached_.clear();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void CachingAllocator::set_limit(size_t bytes) {
  std::lock_guard lock(mutex_);
  limit_ = bytes;
}

void CachingAllocator::reset_peak() {
  std::lock_guard lock(mutex_);
  stats_.peak_allocated = stats_.allocated;
  stats_.peak_reserved = stats_.reserved;
}

}  // namespace heatmark
