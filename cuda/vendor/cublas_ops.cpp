// cuBLAS path for matmul, loaded with dlopen. cuBLAS is column-major: a
// row-major (M, N) matrix is the column-major (N, M) matrix of its transpose,
// so y = a b is computed as y^T = b^T a^T with the operands swapped.
#include <cublas_v2.h>

#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "base/dynamic_library.h"
#include "base/error.h"
#include "cuda/runtime/check.h"
#include "cuda/runtime/stream.h"
#include "cuda/vendor/cuda_libraries.h"
#include "cuda/vendor/vendor.h"

namespace heatmark::vendor {

namespace {

#define HM_CUBLAS_FUNCTIONS(X) \
  X(cublasGetProperty)         \
  X(cublasCreate_v2)           \
  X(cublasSetStream_v2)        \
  X(cublasSetMathMode)         \
  X(cublasSgemm_v2)

// The soname of the cuBLAS major version this build's headers describe (the
// CUDA major), and where NVIDIA's pip wheel of it puts it: since CUDA 13 one
// folder holds all of a CUDA major's libraries (the wheel nvidia-cublas, in
// nvidia/cu13/lib); CUDA 12's wheel was nvidia-cublas-cu12, in nvidia/cublas/lib.
constexpr int kCublasMajor = CUBLAS_VER_MAJOR;
constexpr bool kCudaMajorWheels = kCublasMajor >= 13;

VendorLibrary cublas_library() {
  return {fmt::format("libcublas.so.{}", kCublasMajor),
          {kCudaMajorWheels ? fmt::format("nvidia/cu{}/lib", kCublasMajor) : std::string("nvidia/cublas/lib")}};
}

std::string cublas_remedy() {
  const int cuda_major = CUDART_VERSION / 1000, cuda_minor = CUDART_VERSION % 1000 / 10;
  return cuda_library_remedy(
      fmt::format("cuBLAS for CUDA {} (NVIDIA's package libcublas-{}-{})", cuda_major, cuda_major, cuda_minor),
      kCudaMajorWheels ? std::string("nvidia-cublas") : fmt::format("nvidia-cublas-cu{}", kCublasMajor));
}

struct Cublas {
  DynamicLibrary library{{cublas_library().file},
                         cuda_library_folders(cublas_library(), library_search_roots(), list_folder), cublas_remedy()};
#define HM_CUBLAS_MEMBER(name) decltype(&::name) name = reinterpret_cast<decltype(&::name)>(library.symbol(#name));
  HM_CUBLAS_FUNCTIONS(HM_CUBLAS_MEMBER)
#undef HM_CUBLAS_MEMBER
};

// Loaded on first use; a function-local static for the reason given in
// cudnn_ops.cpp (a missing library must be an error, not an abort).
const Cublas& api() {
  static const Cublas loaded;
  return loaded;
}

void check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) fail("cuBLAS error {} in {}", static_cast<int>(status), what);
}

#define HM_CUBLAS(call) check(api().call, #call)

cublasHandle_t handle() {
  int device = 0;
  HM_CUDA_CHECK(cudaGetDevice(&device));
  thread_local std::map<int, cublasHandle_t> handles;
  cublasHandle_t& h = handles[device];
  if (!h) HM_CUBLAS(cublasCreate_v2(&h));
  HM_CUBLAS(cublasSetStream_v2(h, cuda::current_stream()));
  HM_CUBLAS(cublasSetMathMode(h, allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  return h;
}

// Row-major c (M, N) = op(a) (M, K) op(b) (K, N), leading dimensions of the stored matrices.
void gemm_row_major(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, const float* b,
                    int64_t ldb, float* c, int64_t ldc) {
  const float one = 1.0f, zero = 0.0f;
  HM_CUBLAS(cublasSgemm_v2(handle(), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                           static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &one, b,
                           static_cast<int>(ldb), a, static_cast<int>(lda), &zero, c, static_cast<int>(ldc)));
}

}  // namespace

std::string cublas_version() {
  int major = 0, minor = 0, patch = 0;
  HM_CUBLAS(cublasGetProperty(MAJOR_VERSION, &major));
  HM_CUBLAS(cublasGetProperty(MINOR_VERSION, &minor));
  HM_CUBLAS(cublasGetProperty(PATCH_LEVEL, &patch));
  return fmt::format("cuBLAS {}.{}.{}", major, minor, patch);
}

bool built_in() { return true; }

std::string versions() {
  std::string text = cudnn_version();  // cuDNN first: the order of the error when both are missing
  return text + ", " + cublas_version();
}

std::string report() {
  std::string text;
  for (auto version : {&cudnn_version, &cublas_version}) {
    try {
      text += (text.empty() ? "" : "; ") + version();
    } catch (const Error& e) {
      text += (text.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  return text;
}

void matmul_forward(const float* a, const float* b, float* y, int64_t M, int64_t K, int64_t N) {
  if (M && N) gemm_row_major(false, false, M, N, K, a, K, b, N, y, N);
}

void matmul_backward(const float* a, const float* b, const float* gy, float* ga, float* gb, int64_t M, int64_t K,
                     int64_t N) {
  if (ga && M && K) gemm_row_major(false, true, M, K, N, gy, N, b, N, ga, K);  // ga = gy b^T
  if (gb && K && N) gemm_row_major(true, false, K, N, M, a, K, gy, N, gb, N);  // gb = a^T gy
}

}  // namespace heatmark::vendor
