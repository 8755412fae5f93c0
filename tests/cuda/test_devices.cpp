// Devices: the caching allocator, emulated-device tensors, device fallback,
// the vendor kernels' libraries and their convolution plans.
#include <doctest/doctest.h>

#include <set>

#include "autograd/ops.h"
#include "base/error.h"
#include "cuda/caching_allocator.h"
#include "cuda/device_memory.h"
#include "cuda/info.h"
#include "tensor/kernels.h"
#include "tensor/tensor.h"
#include "tests/support/environment.h"
#include "tests/support/files.h"
#include "tests/support/gpu.h"
#if HEATMARK_HAS_CUDA
#include "cuda/vendor/vendor.h"
#endif

using namespace heatmark;

namespace {
// A fake device with a fixed capacity, to observe what the allocator asks of it.
struct FakeDevice {
  static inline size_t capacity = 0, used = 0;
  static inline int allocations = 0, frees = 0;
  static inline std::set<void*> live;
  static void* allocate(size_t bytes) {
    if (used + bytes > capacity) return nullptr;
    used += bytes;
    ++allocations;
    void* p = ::operator new(bytes);
    live.insert(p);
    sizes()[p] = bytes;
    return p;
  }
  static void release(void* p) {
    used -= sizes()[p];
    live.erase(p);
    ++frees;
    ::operator delete(p);
  }
  static std::map<void*, size_t>& sizes() {
    static std::map<void*, size_t> s;
    return s;
  }
  static void reset(size_t cap) {
    capacity = cap;
    used = 0;
    allocations = frees = 0;
  }
};
}  // namespace

TEST_CASE("devices: the caching allocator rounds sizes, reuses freed blocks, and tracks usage and peaks") {
  CHECK(CachingAllocator::rounded_size(1) == 512);
  CHECK(CachingAllocator::rounded_size(513) == 1024);
  CHECK(CachingAllocator::rounded_size((1 << 20) + 1) == 2 << 20);

  FakeDevice::reset(1 << 30);
  {
    CachingAllocator a("fake", FakeDevice::allocate, FakeDevice::release);
    void* p = a.allocate(1000);  // 1024 bytes
    void* q = a.allocate(3000);  // 3072 bytes
    CHECK(a.stats().allocated == 4096);
    a.release(p);
    CHECK(a.stats().allocated == 3072);
    CHECK(a.stats().reserved == 4096);
    void* r = a.allocate(900);  // same rounded size: served from the cache
    CHECK(r == p);
    CHECK(a.stats().cache_hits == 1);
    CHECK(FakeDevice::allocations == 2);
    void* big = a.allocate(5000);  // no cached block fits: a new one
    CHECK(big != q);
    CHECK(a.stats().peak_allocated == 1024 + 3072 + 5120);
    a.release(q);
    a.release(r);
    a.release(big);
    CHECK(a.stats().allocated == 0);
    a.reset_peak();
    CHECK(a.stats().peak_allocated == 0);
    CHECK_THROWS_WITH_AS(a.release(&big), doctest::Contains("did not hand out"), Error);
    a.empty_cache();
    CHECK(a.stats().reserved == 0);
    CHECK(FakeDevice::frees == 3);
  }
  CHECK(FakeDevice::live.empty());
}

TEST_CASE("devices: the caching allocator out of memory empties the cache, retries, then reports clearly") {
  FakeDevice::reset(8192);
  CachingAllocator a("fake:0", FakeDevice::allocate, FakeDevice::release);
  void* p = a.allocate(4096);
  a.release(p);               // cached, still held on the device
  void* q = a.allocate(6000);  // does not fit next to the cached block: cache emptied, retried
  CHECK(q != nullptr);
  CHECK(FakeDevice::frees == 1);
  CHECK_THROWS_WITH_AS(a.allocate(4096), doctest::Contains("out of memory on fake:0: cannot allocate 0.0 MiB"),
                       Error);
  a.release(q);
  a.empty_cache();
}

TEST_CASE("devices: tensors move to and from the emu device, and its memory is accounted") {
  const Device emu = Device::emu();
  CHECK(Device::parse("emu") == emu);
  const AllocatorStats before = device_memory_stats(emu);
  {
    Tensor x = Tensor::from_vector({1, -2, 3, -4}, {2, 2}).to(emu);
    CHECK(x.device() == emu);
    CHECK(reinterpret_cast<uintptr_t>(x.data()) % 256 == 0);
    Tensor y = relu(x);
    CHECK(y.device() == emu);
    CHECK(y.to(Device::cpu()).to_vector() == std::vector<float>{1, 0, 3, 0});
    CHECK(device_memory_stats(emu).allocated >= before.allocated + 2 * 512);
  }
  CHECK(device_memory_stats(emu).allocated == before.allocated);
  CHECK(device_memory_stats(emu).peak_allocated >= before.allocated + 2 * 512);
}

TEST_CASE("devices: mixing devices in one op is an error naming both") {
  Tensor a = Tensor::ones({3});
  Tensor b = Tensor::ones({3}, Device::emu());
  b.set_name("bias");
  CHECK_THROWS_WITH_AS(add(a, b), doctest::Contains("'bias' is on emu but the input is on cpu"), Error);
}

TEST_CASE("devices: asking for a missing GPU falls back to the CPU") {
  const testing::ScopedEnvironment not_required("HEATMARK_REQUIRE_CUDA", nullptr);
  const Device chosen = cuda::usable_device(Device::cuda(0));
  if (cuda::device_count() == 0)
    CHECK(chosen == Device::cpu());
  else
    CHECK(chosen == Device::cuda(0));
  CHECK(cuda::usable_device(Device::cuda(99)) == Device::cpu());
  CHECK(cuda::usable_device(Device::emu()) == Device::emu());
  CHECK_THROWS_WITH_AS(Tensor::zeros({2}, Device::cuda(99)), doctest::Contains("cuda:99 is not available"), Error);
}

TEST_CASE("devices: with HEATMARK_REQUIRE_CUDA=1 a missing GPU is an error naming the variable, not the CPU") {
  {
    const testing::ScopedEnvironment required("HEATMARK_REQUIRE_CUDA", "1");
    CHECK(cuda::cuda_required());
    CHECK_THROWS_WITH_AS(cuda::usable_device(Device::cuda(99)),
                         doctest::Contains("HEATMARK_REQUIRE_CUDA=1: cuda:99 is not available ("), Error);
    CHECK_THROWS_WITH_AS(cuda::usable_device(Device::cuda(99)), doctest::Contains("not falling back to the CPU"), Error);
    if (cuda::device_count() > 0) CHECK(cuda::usable_device(Device::cuda(0)) == Device::cuda(0));
    // Only a GPU that was asked for is required: the CPU and the emulator stay as they are.
    CHECK(cuda::usable_device(Device::cpu()) == Device::cpu());
    CHECK(cuda::usable_device(Device::emu()) == Device::emu());
  }
  for (const char* relaxed : {"0", ""}) {
    INFO("HEATMARK_REQUIRE_CUDA='", relaxed, "'");
    const testing::ScopedEnvironment not_required("HEATMARK_REQUIRE_CUDA", relaxed);
    CHECK_FALSE(cuda::cuda_required());
    CHECK(cuda::usable_device(Device::cuda(99)) == Device::cpu());
  }
  for (const char* bad : {"yes", "2", "true"}) {
    INFO("HEATMARK_REQUIRE_CUDA='", bad, "'");
    const testing::ScopedEnvironment wrong("HEATMARK_REQUIRE_CUDA", bad);
    const std::string expected = std::string("HEATMARK_REQUIRE_CUDA=") + bad + ": expected 1 (a GPU is required) or 0";
    CHECK_THROWS_WITH_AS(cuda::cuda_required(), doctest::Contains(expected.c_str()), Error);
    // Refused whatever the device, so that a typo cannot pass unnoticed on the CPU.
    CHECK_THROWS_WITH_AS(cuda::usable_device(Device::cpu()), doctest::Contains(expected.c_str()), Error);
  }
}

TEST_CASE("devices: kernel providers are parsed by name, and the emulator runs its own kernels under vendor") {
  CHECK(kernels::parse_kernel_provider("vendor") == kernels::KernelProvider::Vendor);
  CHECK(kernels::parse_kernel_provider("handwritten") == kernels::KernelProvider::HandWritten);
  CHECK_THROWS_WITH_AS(kernels::parse_kernel_provider("cudnn"), doctest::Contains("unknown kernel provider 'cudnn'"),
                       Error);
  // With vendor kernels selected, the emulator still runs the hand-written ones.
  kernels::set_kernel_provider(kernels::KernelProvider::Vendor);
  const Tensor x = Tensor::ones({1, 2, 4, 4}, Device::emu()), w = Tensor::ones({3, 2, 3, 3}, Device::emu());
  const std::vector<float> y = conv2d(x, w, Tensor(), 1, 1).to_vector();
  kernels::set_kernel_provider(kernels::KernelProvider::HandWritten);
  CHECK(y[5] == 18.0f);  // an interior pixel sums 2 channels x 9 taps of ones
  CHECK(y[0] == 8.0f);   // a corner sees 4 taps
}

TEST_CASE("devices: a command's --kernels vendor loads the device's libraries up front, and none exist for emu") {
  kernels::select_kernel_provider("handwritten", Device::cpu());
  CHECK(kernels::kernel_provider() == kernels::KernelProvider::HandWritten);
  CHECK_THROWS_WITH_AS(kernels::select_kernel_provider("cudnn", Device::cpu()),
                       doctest::Contains("unknown kernel provider 'cudnn'"), Error);
#if HEATMARK_HAS_CUDA
  CHECK_THROWS_WITH_AS(kernels::select_kernel_provider("vendor", Device::emu()),
                       doctest::Contains("--kernels vendor: there are no vendor kernels for emu"), Error);
#else
  CHECK_THROWS_WITH_AS(kernels::select_kernel_provider("vendor", Device::emu()),
                       doctest::Contains("--kernels vendor: this build of heatmark has no CUDA backend"), Error);
#endif
  // A refused provider leaves the previous one in place.
  CHECK(kernels::kernel_provider() == kernels::KernelProvider::HandWritten);
  // The CPU's vendor kernels are oneDNN (tests/tensor/test_onednn.cpp).
#if HEATMARK_HAS_ONEDNN
  kernels::select_kernel_provider("vendor", Device::cpu());
  CHECK(kernels::kernel_provider() == kernels::KernelProvider::Vendor);
  kernels::select_kernel_provider("handwritten", Device::cpu());
#else
  CHECK_THROWS_WITH_AS(kernels::select_kernel_provider("vendor", Device::cpu()),
                       doctest::Contains("this build has no oneDNN support: rebuild with libdnnl-dev installed"), Error);
#endif
}

#if HEATMARK_HAS_CUDA_VENDOR
TEST_CASE("devices: the vendor libraries cuDNN and cuBLAS load at run time and report their versions (no GPU needed)") {
  CHECK(vendor::built_in());
  const std::string versions = vendor::versions();
  CHECK(versions.find("cuDNN 9.") == 0);
  CHECK(versions.find("cuBLAS ") != std::string::npos);
}

namespace {
// Values in [-1, 1) that vary along every axis.
Tensor patterned(const Shape& shape, Device device) {
  std::vector<float> values(shape.numel());
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>((i * 7 + 3) % 16) / 8.0f - 1.0f;
  return Tensor::from_vector(values, shape).to(device);
}

// The three directions of the convolution `s` on GPU 0 with cuDNN: y, gx and gw, one after the other.
std::vector<float> cudnn_convolution(const Conv2dShape& s) {
  const Device gpu = Device::cuda(0);
  const Tensor x = patterned({s.N, s.C_in, s.H, s.W}, gpu), w = patterned({s.C_out, s.C_in, s.kH, s.kW}, gpu),
               gy = patterned({s.N, s.C_out, s.OH, s.OW}, gpu);
  Tensor y = Tensor::zeros(gy.shape(), gpu), gx = Tensor::zeros(x.shape(), gpu), gw = Tensor::zeros(w.shape(), gpu);
  vendor::conv2d_forward(s, x.data(), w.data(), nullptr, y.data());
  vendor::conv2d_backward_data(s, gy.data(), w.data(), gx.data());
  vendor::conv2d_backward_weight(s, x.data(), gy.data(), gw.data());
  std::vector<float> all = y.to_vector();
  for (const Tensor* t : {&gx, &gw}) {
    const std::vector<float> part = t->to_vector();
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}
}  // namespace

TEST_CASE("devices: cuDNN chooses each direction's algorithm once per shape and TF32 setting, later calls ask nothing") {
  if (!testing::gpu_present_for("counting cuDNN's algorithm queries")) return;
  // Shapes no other test case uses, so that their first calls are planned here.
  const Conv2dShape a = Conv2dShape::make(2, 3, 11, 13, 5, 3, 3, 1, 1), b = Conv2dShape::make(1, 7, 9, 6, 4, 3, 3, 2, 1);
  const size_t before = vendor::cudnn_algorithm_queries();
  const std::vector<float> first = cudnn_convolution(a);
  CHECK(vendor::cudnn_algorithm_queries() == before + 3);  // forward, data gradient, weight gradient
  const std::vector<float> again = cudnn_convolution(a);
  CHECK(vendor::cudnn_algorithm_queries() == before + 3);  // planned: no query
  CHECK(again == first);                                     // the same algorithms, the same bits
  cudnn_convolution(b);
  CHECK(vendor::cudnn_algorithm_queries() == before + 6);  // another shape is planned apart

  // The TF32 setting bounds the math types cuDNN may choose from: plain fp32 has plans of its own.
  const bool tf32 = vendor::allow_tf32();
  vendor::set_allow_tf32(!tf32);
  cudnn_convolution(a);
  cudnn_convolution(a);
  vendor::set_allow_tf32(tf32);
  CHECK(vendor::cudnn_algorithm_queries() == before + 9);
  cudnn_convolution(a);
  CHECK(vendor::cudnn_algorithm_queries() == before + 9);
}
#elif HEATMARK_HAS_CUDA
TEST_CASE("devices: a CUDA build without cuDNN's or cuBLAS's headers refuses --kernels vendor on cuda in one line") {
  CHECK_FALSE(vendor::built_in());
  CHECK_ERROR(kernels::select_kernel_provider("vendor", Device::cuda(0)),
              "--kernels vendor on cuda: this build has no cuDNN and cuBLAS support", "cudnn.h", "cublas_v2.h",
              "--kernels handwritten");
  CHECK(kernels::kernel_provider() == kernels::KernelProvider::HandWritten);
  CHECK(vendor::report().find("not built in") != std::string::npos);
  CHECK(vendor::cudnn_algorithm_queries() == 0);
}
#endif
