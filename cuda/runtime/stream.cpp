#include "cuda/runtime/stream.h"

#include "cuda/runtime/check.h"

namespace heatmark::cuda {

namespace {
thread_local cudaStream_t current = nullptr;
}

Stream::Stream() { HM_CUDA_CHECK(cudaStreamCreate(&stream_)); }
Stream::~Stream() { cudaStreamDestroy(stream_); }
void Stream::synchronize() const { HM_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

cudaStream_t current_stream() { return current; }

StreamGuard::StreamGuard(const Stream& stream) : previous_(current) { current = stream.get(); }
StreamGuard::~StreamGuard() { current = previous_; }

void synchronize() { HM_CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace heatmark::cuda
