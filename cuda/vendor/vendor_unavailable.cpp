// The vendor interface of a CUDA build compiled without cuDNN's or cuBLAS's
// headers (cuda/CMakeLists.txt): every kernel says so (cuda/vendor/vendor.h).
// The TF32 setting is kept, so that code that sets it runs as anywhere else.
#include <atomic>

#include "base/error.h"
#include "cuda/vendor/vendor.h"

namespace heatmark::vendor {

namespace {

constexpr const char* kNotBuiltIn = "cuDNN and cuBLAS not built in (rebuild with their headers, cudnn.h and cublas_v2.h)";

[[noreturn]] void unavailable() {
  fail("--kernels vendor on cuda: this build has no cuDNN and cuBLAS support: rebuild with their headers installed "
       "(cudnn.h and cublas_v2.h, NVIDIA's packages cudnn9-cuda-13 and libcublas-dev-13-0), or use --kernels "
       "handwritten");
}

std::atomic<bool> tf32_allowed{true};

}  // namespace

bool built_in() { return false; }
std::string versions() { unavailable(); }
std::string cudnn_version() { unavailable(); }
std::string cublas_version() { unavailable(); }
std::string report() { return kNotBuiltIn; }

void set_allow_tf32(bool allow) { tf32_allowed = allow; }
bool allow_tf32() { return tf32_allowed; }
size_t cudnn_algorithm_queries() { return 0; }

void conv2d_forward(const Conv2dShape&, const float*, const float*, const float*, float*) { unavailable(); }
void conv2d_backward_data(const Conv2dShape&, const float*, const float*, float*) { unavailable(); }
void conv2d_backward_weight(const Conv2dShape&, const float*, const float*, float*) { unavailable(); }
void conv2d_backward_bias(const Conv2dShape&, const float*, float*) { unavailable(); }
void add_channel_bias(float*, const float*, int64_t, int64_t, int64_t) { unavailable(); }

void batch_norm2d_forward_train(const BatchNormShape&, const float*, const float*, const float*, float*, float*,
                                float*, float*, float*, float, float) {
  unavailable();
}
void batch_norm2d_forward_eval(const BatchNormShape&, const float*, const float*, const float*, const float*,
                               const float*, float, float*) {
  unavailable();
}
void batch_norm2d_backward_train(const BatchNormShape&, const float*, const float*, const float*, const float*,
                                 const float*, float, float*, float*, float*) {
  unavailable();
}

void matmul_forward(const float*, const float*, float*, int64_t, int64_t, int64_t) { unavailable(); }
void matmul_backward(const float*, const float*, const float*, float*, float*, int64_t, int64_t, int64_t) {
  unavailable();
}

}  // namespace heatmark::vendor
