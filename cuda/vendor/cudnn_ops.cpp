// cuDNN paths for conv2d and batch_norm2d (legacy cuDNN API, deprecated in
// cuDNN 9 but present and simplest to read), loaded with dlopen.
#include <cudnn.h>

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include <fmt/format.h>

#include "base/dynamic_library.h"
#include "base/error.h"
#include "cuda/device_memory.h"
#include "cuda/runtime/check.h"
#include "cuda/runtime/stream.h"
#include "cuda/vendor/cuda_libraries.h"
#include "cuda/vendor/vendor.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace heatmark::vendor {

namespace {

// Every cuDNN function used, resolved from the library by name.
#define HM_CUDNN_FUNCTIONS(X)                   \
  X(cudnnGetVersion)                            \
  X(cudnnGetErrorString)                        \
  X(cudnnCreate)                                \
  X(cudnnSetStream)                             \
  X(cudnnCreateTensorDescriptor)                \
  X(cudnnSetTensor4dDescriptor)                 \
  X(cudnnDestroyTensorDescriptor)               \
  X(cudnnCreateFilterDescriptor)                \
  X(cudnnSetFilter4dDescriptor)                 \
  X(cudnnDestroyFilterDescriptor)               \
  X(cudnnCreateConvolutionDescriptor)           \
  X(cudnnSetConvolution2dDescriptor)            \
  X(cudnnSetConvolutionMathType)                \
  X(cudnnDestroyConvolutionDescriptor)          \
  X(cudnnGetConvolutionForwardAlgorithm_v7)     \
  X(cudnnGetConvolutionForwardWorkspaceSize)    \
  X(cudnnConvolutionForward)                    \
  X(cudnnGetConvolutionBackwardDataAlgorithm_v7) \
  X(cudnnGetConvolutionBackwardDataWorkspaceSize) \
  X(cudnnConvolutionBackwardData)               \
  X(cudnnGetConvolutionBackwardFilterAlgorithm_v7) \
  X(cudnnGetConvolutionBackwardFilterWorkspaceSize) \
  X(cudnnConvolutionBackwardFilter)             \
  X(cudnnConvolutionBackwardBias)               \
  X(cudnnAddTensor)                             \
  X(cudnnBatchNormalizationForwardTraining)     \
  X(cudnnBatchNormalizationForwardInference)    \
  X(cudnnBatchNormalizationBackward)

constexpr int kCudaMajor = CUDART_VERSION / 1000;

// The soname of the cuDNN major version this build's headers describe, and where
// NVIDIA's pip wheel of it (nvidia-cudnn-cu13 for CUDA 13) puts it.
VendorLibrary cudnn_library() { return {fmt::format("libcudnn.so.{}", CUDNN_MAJOR), {"nvidia/cudnn/lib"}}; }

struct Cudnn {
  DynamicLibrary library{
      {cudnn_library().file}, cuda_library_folders(cudnn_library(), library_search_roots(), list_folder),
      cuda_library_remedy(fmt::format("cuDNN {} for CUDA {} (NVIDIA's package cudnn{}-cuda-{})", CUDNN_MAJOR,
                                      kCudaMajor, CUDNN_MAJOR, kCudaMajor),
                          fmt::format("nvidia-cudnn-cu{}", kCudaMajor))};
#define HM_CUDNN_MEMBER(name) decltype(&::name) name = reinterpret_cast<decltype(&::name)>(library.symbol(#name));
  HM_CUDNN_FUNCTIONS(HM_CUDNN_MEMBER)
#undef HM_CUDNN_MEMBER
};

// Loaded on first use. A function-local static, not std::call_once: when the
// library is missing the constructor throws, and an exception thrown through
// call_once (pthread_once) aborts a static binary instead of reaching the
// caller. A static whose initialiser throws is simply tried again next time.
const Cudnn& api() {
  static const Cudnn loaded;
  return loaded;
}

void check(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS) fail("cuDNN error in {}: {}", what, api().cudnnGetErrorString(status));
}

#define HM_CUDNN(call) check(api().call, #call)

// One handle per thread and device, bound to the current stream on each use.
cudnnHandle_t handle() {
  int device = 0;
  HM_CUDA_CHECK(cudaGetDevice(&device));
  thread_local std::map<int, cudnnHandle_t> handles;
  cudnnHandle_t& h = handles[device];
  if (!h) HM_CUDNN(cudnnCreate(&h));
  HM_CUDNN(cudnnSetStream(h, cuda::current_stream()));
  return h;
}

// RAII descriptors.
struct TensorDesc {
  cudnnTensorDescriptor_t d{};
  TensorDesc(int64_t n, int64_t c, int64_t h, int64_t w) {
    HM_CUDNN(cudnnCreateTensorDescriptor(&d));
    HM_CUDNN(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, static_cast<int>(n),
                                        static_cast<int>(c), static_cast<int>(h), static_cast<int>(w)));
  }
  ~TensorDesc() { api().cudnnDestroyTensorDescriptor(d); }
};

struct FilterDesc {
  cudnnFilterDescriptor_t d{};
  FilterDesc(int64_t k, int64_t c, int64_t h, int64_t w) {
    HM_CUDNN(cudnnCreateFilterDescriptor(&d));
    HM_CUDNN(cudnnSetFilter4dDescriptor(d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, static_cast<int>(k),
                                        static_cast<int>(c), static_cast<int>(h), static_cast<int>(w)));
  }
  ~FilterDesc() { api().cudnnDestroyFilterDescriptor(d); }
};

struct ConvDesc {
  cudnnConvolutionDescriptor_t d{};
  explicit ConvDesc(const Conv2dShape& s) {
    HM_CUDNN(cudnnCreateConvolutionDescriptor(&d));
    const int p = static_cast<int>(s.pad), st = static_cast<int>(s.stride);
    HM_CUDNN(cudnnSetConvolution2dDescriptor(d, p, p, st, st, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    HM_CUDNN(cudnnSetConvolutionMathType(d, allow_tf32() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  }
  ~ConvDesc() { api().cudnnDestroyConvolutionDescriptor(d); }
};

// The descriptors of one convolution.
struct ConvDescs {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
  explicit ConvDescs(const Conv2dShape& s)
      : x(s.N, s.C_in, s.H, s.W), y(s.N, s.C_out, s.OH, s.OW), w(s.C_out, s.C_in, s.kH, s.kW), conv(s) {}
};

// Device scratch memory for a cuDNN call (from the caching allocator).
struct Workspace {
  Device device;
  void* data = nullptr;
  explicit Workspace(size_t bytes) {
    int index = 0;
    HM_CUDA_CHECK(cudaGetDevice(&index));
    device = Device::cuda(index);
    if (bytes) data = device_allocate(device, bytes);
  }
  ~Workspace() {
    if (data) device_release(device, data);
  }
};

// The first algorithm cuDNN's heuristics rank highest that succeeds and, if
// asked, is deterministic.
template <typename Perf>
Perf pick(const Perf* perfs, int count, bool deterministic, const char* what) {
  for (int i = 0; i < count; ++i)
    if (perfs[i].status == CUDNN_STATUS_SUCCESS && (!deterministic || perfs[i].determinism == CUDNN_DETERMINISTIC))
      return perfs[i];
  fail("cuDNN offers no {}algorithm for {}", deterministic ? "deterministic " : "", what);
}

bool tf32_allowed = true;

}  // namespace

void set_allow_tf32(bool allow) { tf32_allowed = allow; }
bool allow_tf32() { return tf32_allowed; }

std::string cudnn_version() {
  const size_t v = api().cudnnGetVersion();
  return fmt::format("cuDNN {}.{}.{}", v / 10000, v % 10000 / 100, v % 100);
}

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y) {
  const ConvDescs d(s);
  cudnnConvolutionFwdAlgoPerf_t perfs[8];
  int count = 0;
  HM_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(handle(), d.x.d, d.w.d, d.conv.d, d.y.d, 8, &count, perfs));
  const auto algo = pick(perfs, count, false, "the convolution forward").algo;
  size_t bytes = 0;
  HM_CUDNN(cudnnGetConvolutionForwardWorkspaceSize(handle(), d.x.d, d.w.d, d.conv.d, d.y.d, algo, &bytes));
  const Workspace ws(bytes);
  const float one = 1.0f, zero = 0.0f;
  HM_CUDNN(cudnnConvolutionForward(handle(), &one, d.x.d, x, d.w.d, w, d.conv.d, algo, ws.data, bytes, &zero, d.y.d, y));
  if (b) add_channel_bias(y, b, s.N, s.C_out, s.OH * s.OW);
}

void add_channel_bias(float* y, const float* bias, int64_t N, int64_t C, int64_t P) {
  const TensorDesc out(N, C, 1, P), b(1, C, 1, 1);
  const float one = 1.0f;
  HM_CUDNN(cudnnAddTensor(handle(), &one, b.d, bias, &one, out.d, y));
}

void conv2d_backward_data(const Conv2dShape& s, const float* gy, const float* w, float* gx) {
  const ConvDescs d(s);
  cudnnConvolutionBwdDataAlgoPerf_t perfs[8];
  int count = 0;
  HM_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle(), d.w.d, d.y.d, d.conv.d, d.x.d, 8, &count, perfs));
  const auto algo = pick(perfs, count, true, "the convolution data gradient").algo;
  size_t bytes = 0;
  HM_CUDNN(cudnnGetConvolutionBackwardDataWorkspaceSize(handle(), d.w.d, d.y.d, d.conv.d, d.x.d, algo, &bytes));
  const Workspace ws(bytes);
  const float one = 1.0f, zero = 0.0f;
  HM_CUDNN(cudnnConvolutionBackwardData(handle(), &one, d.w.d, w, d.y.d, gy, d.conv.d, algo, ws.data, bytes, &zero,
                                        d.x.d, gx));
}

void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* gy, float* gw) {
  const ConvDescs d(s);
  cudnnConvolutionBwdFilterAlgoPerf_t perfs[8];
  int count = 0;
  HM_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle(), d.x.d, d.y.d, d.conv.d, d.w.d, 8, &count, perfs));
  const auto algo = pick(perfs, count, true, "the convolution weight gradient").algo;
  size_t bytes = 0;
  HM_CUDNN(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle(), d.x.d, d.y.d, d.conv.d, d.w.d, algo, &bytes));
  const Workspace ws(bytes);
  const float one = 1.0f;  // beta 1: accumulate into gw
  HM_CUDNN(cudnnConvolutionBackwardFilter(handle(), &one, d.x.d, x, d.y.d, gy, d.conv.d, algo, ws.data, bytes, &one,
                                          d.w.d, gw));
}

void conv2d_backward_bias(const Conv2dShape& s, const float* gy, float* gb) {
  const TensorDesc y(s.N, s.C_out, s.OH, s.OW), bias(1, s.C_out, 1, 1);
  const float one = 1.0f;
  HM_CUDNN(cudnnConvolutionBackwardBias(handle(), &one, y.d, gy, &one, bias.d, gb));
}

void batch_norm2d_forward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                                float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var,
                                float momentum, float eps) {
  const TensorDesc data(s.N, s.C, 1, s.HW), params(1, s.C, 1, 1);
  const float one = 1.0f, zero = 0.0f;
  // cuDNN's running variance uses the unbiased batch variance, as PyTorch does.
  HM_CUDNN(cudnnBatchNormalizationForwardTraining(handle(), CUDNN_BATCHNORM_SPATIAL, &one, &zero, data.d, x, data.d, y,
                                                  params.d, gamma, beta, momentum, running_mean, running_var, eps,
                                                  save_mean, save_invstd));
}

void batch_norm2d_forward_eval(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                               const float* running_mean, const float* running_var, float eps, float* y) {
  const TensorDesc data(s.N, s.C, 1, s.HW), params(1, s.C, 1, 1);
  const float one = 1.0f, zero = 0.0f;
  HM_CUDNN(cudnnBatchNormalizationForwardInference(handle(), CUDNN_BATCHNORM_SPATIAL, &one, &zero, data.d, x, data.d,
                                                   y, params.d, gamma, beta, running_mean, running_var, eps));
}

void batch_norm2d_backward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* save_mean,
                                 const float* save_invstd, const float* gy, float eps, float* gx, float* ggamma,
                                 float* gbeta) {
  const TensorDesc data(s.N, s.C, 1, s.HW), params(1, s.C, 1, 1);
  const float one = 1.0f, zero = 0.0f;  // data gradient written, parameter gradients accumulated
  HM_CUDNN(cudnnBatchNormalizationBackward(handle(), CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &one, data.d, x,
                                           data.d, gy, data.d, gx, params.d, gamma, ggamma, gbeta, eps, save_mean,
                                           save_invstd));
}

}  // namespace heatmark::vendor
