// The CUDA programming model on the CPU: this header stands in for the CUDA
// runtime when a .cu kernel file is compiled by the host compiler for the
// emulator (cuda/kernel_api.h includes it when HEATMARK_SIM is set).
//
// It provides the built-in variables (threadIdx, blockIdx, blockDim, gridDim),
// the qualifiers (__global__, __device__, __shared__, ...), __syncthreads, the
// warp intrinsics, atomics, a few device math functions, and launch().
//
//   __shared__  becomes thread_local: one block runs on one OS thread, so its
//               fibers (its CUDA threads) share the variable, and blocks on
//               other OS threads have their own.
//   dynamic shared memory is a buffer of exactly the launch's size per block
//               (see HM_DYNAMIC_SHARED in kernel_api.h), so ASan catches
//               out-of-bounds indexing; static __shared__ arrays are checked
//               by UBSan's bounds checks.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <source_location>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cuda/sim/runtime.h"
#include "cuda/symbol_name.h"

using heatmark::sim::dim3;
using heatmark::sim::uint3;

inline constexpr int warpSize = 32;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __shared__ thread_local

using cudaStream_t = void*;

// The one function attribute kernels set: the opt-in to more than 48 KiB of
// dynamic shared memory.
enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1 };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
template <typename... Params>
cudaError_t cudaFuncSetAttribute(void (*kernel)(Params...), cudaFuncAttribute, int bytes) {
  return ::heatmark::sim::set_max_dynamic_shared_bytes(reinterpret_cast<const void*>(kernel), bytes)
             ? cudaSuccess
             : cudaErrorInvalidValue;
}

#define HM_SIM_SITE (::heatmark::sim::Site{__func__, __FILE__, __LINE__})

#define __syncthreads() ::heatmark::sim::syncthreads(HM_SIM_SITE)
#define __syncwarp(...) ::heatmark::sim::syncwarp(HM_SIM_SITE __VA_OPT__(, ) __VA_ARGS__)
#define __shfl_sync(...) ::heatmark::sim::shuffle(::heatmark::sim::WarpOp::ShuffleIndex, HM_SIM_SITE, __VA_ARGS__)
#define __shfl_up_sync(...) ::heatmark::sim::shuffle(::heatmark::sim::WarpOp::ShuffleUp, HM_SIM_SITE, __VA_ARGS__)
#define __shfl_down_sync(...) ::heatmark::sim::shuffle(::heatmark::sim::WarpOp::ShuffleDown, HM_SIM_SITE, __VA_ARGS__)
#define __shfl_xor_sync(...) ::heatmark::sim::shuffle(::heatmark::sim::WarpOp::ShuffleXor, HM_SIM_SITE, __VA_ARGS__)
#define __ballot_sync(mask, predicate) \
  static_cast<unsigned>(::heatmark::sim::vote(::heatmark::sim::WarpOp::Ballot, HM_SIM_SITE, mask, predicate))
#define __any_sync(mask, predicate) \
  static_cast<int>(::heatmark::sim::vote(::heatmark::sim::WarpOp::Any, HM_SIM_SITE, mask, predicate))
#define __all_sync(mask, predicate) \
  static_cast<int>(::heatmark::sim::vote(::heatmark::sim::WarpOp::All, HM_SIM_SITE, mask, predicate))

namespace heatmark::sim {

#if defined(__cpp_lib_source_location)
using SourceLocation = std::source_location;
#else
// clang before 15 with libstdc++ has no std::source_location (it needs
// __builtin_source_location): the same from the older builtins.
struct SourceLocation {
  static constexpr SourceLocation current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                                          const char* function = __builtin_FUNCTION()) noexcept {
    return {file, line, function};
  }
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr unsigned line() const noexcept { return line_; }
  constexpr const char* function_name() const noexcept { return function_; }
  const char* file_;
  unsigned line_;
  const char* function_;
};
#endif

template <typename T>
T shuffle(WarpOp op, Site site, unsigned mask, T value, int param, int width = warpSize) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "warp shuffles move values of up to 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  bits = warp_op(op, mask, bits, param, width, site);
  T result;
  std::memcpy(&result, &bits, sizeof(T));
  return result;
}

inline uint32_t vote(WarpOp op, Site site, unsigned mask, int predicate) {
  return static_cast<uint32_t>(warp_op(op, mask, predicate != 0, 0, warpSize, site));
}

inline void syncwarp(Site site, unsigned mask = 0xffffffffu) { warp_op(WarpOp::SyncWarp, mask, 0, 0, warpSize, site); }

// The memory model's traced copy of the kernels (HEATMARK_SIM_TRACED) must
// not share template instances with the plain copy: the linker would keep one
// of each, and traced kernels would launch untraced or lose their accesses.
// What follows that kernels instantiate lives in a namespace of its own per copy.
#if HEATMARK_SIM_TRACED
#define HM_SIM_COPY traced_copy
#else
#define HM_SIM_COPY plain_copy
#endif
inline namespace HM_SIM_COPY {

// launch(kernel, grid, block, shared_bytes, stream, args...): the emulated
// kernel<<<grid, block, shared_bytes, stream>>>(args...). Synchronous. A
// struct with a deduction guide so that the launch site can be recorded with
// a defaulted source_location after the variadic arguments.
template <typename... Args>
struct launch {
  template <typename... Params>
  launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t /*stream*/,
         Args... args, SourceLocation where = SourceLocation::current()) {
    static_assert(sizeof...(Params) == sizeof...(Args), "launch: wrong number of kernel arguments");
    LaunchInfo info;
    info.function = reinterpret_cast<const void*>(kernel);
    info.kernel = function_name(info.function);
    // Demangled function templates carry their return type; kernels all return void.
    if (info.kernel.starts_with("void ")) info.kernel.erase(0, 5);
#if HEATMARK_SIM_TRACED
    // The traced copy (memory_model.h) reports under the kernel's usual name.
    info.traced = true;
    for (size_t at; (at = info.kernel.find("emu_traced::")) != std::string::npos;) info.kernel.replace(at, 12, "emu::");
#endif
    info.where = std::string(where.file_name()) + ":" + std::to_string(where.line()) + " (" +
                 where.function_name() + ")";
    info.grid = grid;
    info.block = block;
    info.dynamic_shared_bytes = shared_bytes;
    // Arguments are copied, as CUDA copies kernel parameters at launch.
    info.body = [kernel, arguments = std::make_tuple(args...)] {
      std::apply([kernel](const auto&... a) { kernel(static_cast<Params>(a)...); }, arguments);
    };
    run_grid(std::move(info));
  }
};
template <typename... Params, typename... Args>
launch(void (*)(Params...), dim3, dim3, size_t, cudaStream_t, Args...) -> launch<Args...>;

}  // inline namespace HM_SIM_COPY
}  // namespace heatmark::sim

using heatmark::sim::launch;

namespace heatmark::sim {
inline namespace HM_SIM_COPY {

// ---- atomics (real atomics: blocks run on several OS threads) ------------------

template <typename T>
inline T atomicAdd(T* address, T value) {
  return std::atomic_ref<T>(*address).fetch_add(value);
}
template <typename T>
inline T atomicExch(T* address, T value) {
  return std::atomic_ref<T>(*address).exchange(value);
}
template <typename T>
inline T atomicCAS(T* address, T compare, T value) {
  std::atomic_ref<T>(*address).compare_exchange_strong(compare, value);
  return compare;  // the old value, whether or not it was swapped
}
template <typename T>
inline T atomicMax(T* address, T value) {
  std::atomic_ref<T> ref(*address);
  T old = ref.load();
  while (old < value && !ref.compare_exchange_weak(old, value)) {
  }
  return old;
}
template <typename T>
inline T atomicMin(T* address, T value) {
  std::atomic_ref<T> ref(*address);
  T old = ref.load();
  while (value < old && !ref.compare_exchange_weak(old, value)) {
  }
  return old;
}

// ---- device math (exact on the CPU; approximate on a GPU, so compare with tolerances)

inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
template <typename T>
inline T __ldg(const T* p) {
  return *p;
}

}  // inline namespace HM_SIM_COPY
}  // namespace heatmark::sim
using namespace heatmark::sim::HM_SIM_COPY;
