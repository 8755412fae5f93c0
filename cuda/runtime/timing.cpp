#include "cuda/runtime/timing.h"

#include "cuda/runtime/check.h"
#include "cuda/runtime/stream.h"

namespace heatmark::cuda {

EventTimer::EventTimer() {
  HM_CUDA_CHECK(cudaEventCreate(&start_));
  HM_CUDA_CHECK(cudaEventCreate(&stop_));
}

EventTimer::~EventTimer() {
  cudaEventDestroy(start_);
  cudaEventDestroy(stop_);
}

void EventTimer::start() { HM_CUDA_CHECK(cudaEventRecord(start_, current_stream())); }
void EventTimer::stop() { HM_CUDA_CHECK(cudaEventRecord(stop_, current_stream())); }

float EventTimer::milliseconds() const {
  HM_CUDA_CHECK(cudaEventSynchronize(stop_));
  float ms = 0;
  HM_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
  return ms;
}

void flush_l2() {
  static void* buffer = nullptr;  // kept for the process: one per run of a benchmark
  static size_t bytes = 0;
  if (!buffer) {
    int device = 0, l2 = 0;
    HM_CUDA_CHECK(cudaGetDevice(&device));
    HM_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
    bytes = 2 * static_cast<size_t>(l2 > 0 ? l2 : 64 << 20);
    HM_CUDA_CHECK(cudaMalloc(&buffer, bytes));
  }
  HM_CUDA_CHECK(cudaMemsetAsync(buffer, 0, bytes, current_stream()));
}

}  // namespace heatmark::cuda
