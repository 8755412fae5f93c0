// CUDA streams. Kernels launch on the calling thread's current stream, which
// is the default (legacy) stream unless a StreamGuard says otherwise.
#pragma once

#include <cuda_runtime_api.h>

namespace heatmark::cuda {

// An owned stream (blocking with respect to the default stream, so host
// copies stay ordered with it).
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

cudaStream_t current_stream();

// Makes `stream` current for this thread while alive.
class StreamGuard {
 public:
  explicit StreamGuard(const Stream& stream);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  cudaStream_t previous_;
};

// Waits for all work on the current device.
void synchronize();

}  // namespace heatmark::cuda
