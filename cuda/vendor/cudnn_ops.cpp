// cuDNN paths for conv2d and batch_norm2d (legacy cuDNN API, deprecated in
// cuDNN 9 but present and simplest to read), loaded with dlopen.
//
// A convolution is described to cuDNN by four descriptors (input, output,
// filter, convolution), and cuDNN's heuristics then rank the algorithms that
// can run it. Asking them costs host time, which a training step would pay on
// every call (HRNet-W32's makes about 900 a step). So each direction of each
// shape is planned once per device: the descriptors, the algorithm chosen,
// its math type and its workspace size are kept, and every later call with
// the same shape runs that plan.
#include <cudnn.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

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

int current_device() {
  int device = 0;
  HM_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

// One handle per thread and device, bound to the current stream on each use.
cudnnHandle_t handle() {
  thread_local std::map<int, cudnnHandle_t> handles;
  cudnnHandle_t& h = handles[current_device()];
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

// The math type of a convolution says which kernels may run it. For float32
// data, as here:
//   CUDNN_FMA_MATH: only kernels built on FMA instructions, plain fp32
//     arithmetic throughout;
//   CUDNN_DEFAULT_MATH, CUDNN_TENSOR_OP_MATH: tensor cores are permitted, and
//     on Ampere and later GPUs they run fp32 convolutions as TF32 (inputs
//     rounded to a 10-bit mantissa, products summed in fp32), as PyTorch's
//     default cuDNN convolutions do (NVIDIA_TF32_OVERRIDE=0 forbids it);
//   CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: also permits converting the fp32
//     data to fp16 for the tensor cores: never accepted here.
// The descriptor's math type bounds what the heuristics consider:
// CUDNN_DEFAULT_MATH with TF32 allowed, CUDNN_FMA_MATH without. Each
// algorithm they return carries the math type it runs with, which is set on
// the descriptor before that algorithm is used (cuDNN picks the kernel from
// the algorithm and the math type together).
struct ConvDesc {
  cudnnConvolutionDescriptor_t d{};
  ConvDesc(const Conv2dShape& s, bool tf32) {
    HM_CUDNN(cudnnCreateConvolutionDescriptor(&d));
    const int p = static_cast<int>(s.pad), st = static_cast<int>(s.stride);
    HM_CUDNN(cudnnSetConvolution2dDescriptor(d, p, p, st, st, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    HM_CUDNN(cudnnSetConvolutionMathType(d, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  }
  ~ConvDesc() { api().cudnnDestroyConvolutionDescriptor(d); }
};

// Whether an algorithm's math type keeps to the TF32 setting for fp32 data.
bool math_type_allowed(cudnnMathType_t math, bool tf32) {
  return tf32 ? math != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION : math == CUDNN_FMA_MATH;
}

// The descriptors of one convolution.
struct ConvDescs {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
  ConvDescs(const Conv2dShape& s, bool tf32)
      : x(s.N, s.C_in, s.H, s.W), y(s.N, s.C_out, s.OH, s.OW), w(s.C_out, s.C_in, s.kH, s.kW), conv(s, tf32) {}
};

// Device scratch memory for a cuDNN call (from the caching allocator, so
// taking it on every call is cheap).
struct Workspace {
  Device device;
  void* data = nullptr;
  explicit Workspace(size_t bytes) : device(Device::cuda(current_device())) {
    if (bytes) data = device_allocate(device, bytes);
  }
  ~Workspace() {
    if (data) device_release(device, data);
  }
};

std::atomic<bool> tf32_allowed{true};
std::atomic<size_t> algorithm_queries{0};

// ---- convolution plans ---------------------------------------------------------------------

enum class Direction { Forward, BackwardData, BackwardFilter };

// What a plan is kept for: the algorithm cuDNN picks depends on the GPU, and
// the math types it may pick from on the TF32 setting.
struct PlanKey {
  int device;
  Direction direction;
  bool tf32;
  int64_t N, C_in, H, W, C_out, kH, kW, stride, pad, OH, OW;
  auto operator<=>(const PlanKey&) const = default;
};

// One direction of one convolution, planned. Immutable once made, so any
// number of threads may run it at once, each with its own handle and
// workspace.
struct ConvPlan {
  ConvDescs d;  // the convolution's math type is the chosen algorithm's
  int algo = 0;  // a cudnnConvolutionFwdAlgo_t, BwdDataAlgo_t or BwdFilterAlgo_t, as the key's direction says
  size_t workspace_bytes = 0;
  ConvPlan(const Conv2dShape& s, bool tf32) : d(s, tf32) {}
};

std::string describe(const Conv2dShape& s) {
  return fmt::format("x({}, {}, {}, {}) w({}, {}, {}, {}) stride {} pad {}", s.N, s.C_in, s.H, s.W, s.C_out, s.C_in,
                     s.kH, s.kW, s.stride, s.pad);
}

// The first algorithm cuDNN's heuristics rank highest that succeeds, keeps to
// the TF32 setting and, if asked, is deterministic; its math type set on the
// convolution descriptor.
template <typename Perf>
const Perf& pick(const Perf* perfs, int count, bool deterministic, bool tf32, ConvDesc& conv, const char* what,
                 const Conv2dShape& s) {
  for (int i = 0; i < count; ++i)
    if (perfs[i].status == CUDNN_STATUS_SUCCESS && math_type_allowed(perfs[i].mathType, tf32) &&
        (!deterministic || perfs[i].determinism == CUDNN_DETERMINISTIC)) {
      HM_CUDNN(cudnnSetConvolutionMathType(conv.d, perfs[i].mathType));
      return perfs[i];
    }
  fail("cuDNN offers no {}{} algorithm for {} of {}", deterministic ? "deterministic " : "",
       tf32 ? "fp32 or TF32" : "plain fp32 (FMA)", what, describe(s));
}

void plan_forward(ConvPlan& p, bool tf32, const Conv2dShape& s) {
  cudnnConvolutionFwdAlgoPerf_t perfs[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int count = 0;
  const cudnnHandle_t h = handle();
  ++algorithm_queries;
  HM_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(h, p.d.x.d, p.d.w.d, p.d.conv.d, p.d.y.d,
                                                  CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perfs));
  const auto& chosen = pick(perfs, count, false, tf32, p.d.conv, "the convolution forward", s);
  HM_CUDNN(cudnnGetConvolutionForwardWorkspaceSize(h, p.d.x.d, p.d.w.d, p.d.conv.d, p.d.y.d, chosen.algo,
                                                   &p.workspace_bytes));
  p.algo = chosen.algo;
}

void plan_backward_data(ConvPlan& p, bool tf32, const Conv2dShape& s) {
  cudnnConvolutionBwdDataAlgoPerf_t perfs[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  int count = 0;
  const cudnnHandle_t h = handle();
  ++algorithm_queries;
  HM_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, p.d.w.d, p.d.y.d, p.d.conv.d, p.d.x.d,
                                                       CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perfs));
  const auto& chosen = pick(perfs, count, true, tf32, p.d.conv, "the convolution data gradient", s);
  HM_CUDNN(cudnnGetConvolutionBackwardDataWorkspaceSize(h, p.d.w.d, p.d.y.d, p.d.conv.d, p.d.x.d, chosen.algo,
                                                        &p.workspace_bytes));
  p.algo = chosen.algo;
}

void plan_backward_filter(ConvPlan& p, bool tf32, const Conv2dShape& s) {
  cudnnConvolutionBwdFilterAlgoPerf_t perfs[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  int count = 0;
  const cudnnHandle_t h = handle();
  ++algorithm_queries;
  HM_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, p.d.x.d, p.d.y.d, p.d.conv.d, p.d.w.d,
                                                         CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perfs));
  const auto& chosen = pick(perfs, count, true, tf32, p.d.conv, "the convolution weight gradient", s);
  HM_CUDNN(cudnnGetConvolutionBackwardFilterWorkspaceSize(h, p.d.x.d, p.d.y.d, p.d.conv.d, p.d.w.d,
                                                          chosen.algo, &p.workspace_bytes));
  p.algo = chosen.algo;
}

// The plan of `direction` for `s` on the current device, made on first use.
const ConvPlan& plan(Direction direction, const Conv2dShape& s) {
  const PlanKey key{current_device(), direction, tf32_allowed, s.N, s.C_in, s.H, s.W, s.C_out, s.kH, s.kW,
                    s.stride, s.pad, s.OH, s.OW};
  // Never destroyed: at exit, their destructors would call into a cuDNN that
  // may already be unloaded. Entries are never removed, so a plan handed out
  // stays valid after the lock is released.
  static auto* const plans = new std::map<PlanKey, std::unique_ptr<const ConvPlan>>();
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  if (const auto found = plans->find(key); found != plans->end()) return *found->second;
  auto made = std::make_unique<ConvPlan>(s, key.tf32);
  switch (direction) {
    case Direction::Forward: plan_forward(*made, key.tf32, s); break;
    case Direction::BackwardData: plan_backward_data(*made, key.tf32, s); break;
    case Direction::BackwardFilter: plan_backward_filter(*made, key.tf32, s); break;
  }
  return *plans->emplace(key, std::move(made)).first->second;
}

}  // namespace

void set_allow_tf32(bool allow) { tf32_allowed = allow; }
bool allow_tf32() { return tf32_allowed; }
size_t cudnn_algorithm_queries() { return algorithm_queries; }

std::string cudnn_version() {
  const size_t v = api().cudnnGetVersion();
  return fmt::format("cuDNN {}.{}.{}", v / 10000, v % 10000 / 100, v % 100);
}

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y) {
  const ConvPlan& p = plan(Direction::Forward, s);
  const Workspace ws(p.workspace_bytes);
  const float one = 1.0f, zero = 0.0f;
  HM_CUDNN(cudnnConvolutionForward(handle(), &one, p.d.x.d, x, p.d.w.d, w, p.d.conv.d,
                                   static_cast<cudnnConvolutionFwdAlgo_t>(p.algo), ws.data, p.workspace_bytes, &zero,
                                   p.d.y.d, y));
  if (b) add_channel_bias(y, b, s.N, s.C_out, s.OH * s.OW);
}

void add_channel_bias(float* y, const float* bias, int64_t N, int64_t C, int64_t P) {
  const TensorDesc out(N, C, 1, P), b(1, C, 1, 1);
  const float one = 1.0f;
  HM_CUDNN(cudnnAddTensor(handle(), &one, b.d, bias, &one, out.d, y));
}

void conv2d_backward_data(const Conv2dShape& s, const float* gy, const float* w, float* gx) {
  const ConvPlan& p = plan(Direction::BackwardData, s);
  const Workspace ws(p.workspace_bytes);
  const float one = 1.0f, zero = 0.0f;
  HM_CUDNN(cudnnConvolutionBackwardData(handle(), &one, p.d.w.d, w, p.d.y.d, gy, p.d.conv.d,
                                        static_cast<cudnnConvolutionBwdDataAlgo_t>(p.algo), ws.data,
                                        p.workspace_bytes, &zero, p.d.x.d, gx));
}

void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* gy, float* gw) {
  const ConvPlan& p = plan(Direction::BackwardFilter, s);
  const Workspace ws(p.workspace_bytes);
  const float one = 1.0f;  // beta 1: accumulate into gw
  HM_CUDNN(cudnnConvolutionBackwardFilter(handle(), &one, p.d.x.d, x, p.d.y.d, gy, p.d.conv.d,
                                          static_cast<cudnnConvolutionBwdFilterAlgo_t>(p.algo), ws.data,
                                          p.workspace_bytes, &one, p.d.w.d, gw));
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
