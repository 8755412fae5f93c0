// heatmark_cpu_lab: the CPU kernel lab. Numbered versions of the CPU
// convolution (forward, data gradient, weight gradient), each with the one
// idea it adds, validated against the double reference and timed side by
// side with the vendor library, oneDNN (the library PyTorch uses).
//
//   heatmark_cpu_lab [--shapes small|hrnet] [--repeat N] [--threads N]
//
// --shapes small validates only (CI runs it). --shapes hrnet validates and
// times the conv layers of HRNet-W18-small at 256x320, batch 8: the median of
// --repeat rounds, each round running every version (and oneDNN) once in
// turn, so all see the same machine load. Exit status 1 if any version
// disagrees with the reference.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "tensor/cpu/conv2d.h"
#include "tensor/cpu/peak.h"
#include "tensor/kernels.h"
#include "tensor/parallel.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace heatmark::cpu::lab {

namespace {

struct Version {
  int number;
  const char* name;
  const char* idea;  // one line: what this version adds
  std::function<void(const Conv2dShape&, const float* x, const float* w, float* y)> forward;
  std::function<void(const Conv2dShape&, const float* gy, const float* w, float* gx)> backward_data;
  std::function<void(const Conv2dShape&, const float* x, const float* gy, float* gw)> backward_weight;  // +=
};

Version tiled(int number, const char* name, const char* idea, ConvTiling tiling) {
  return {number, name, idea,
          [tiling](const Conv2dShape& s, const float* x, const float* w, float* y) {
            conv2d_forward_direct(s, x, w, nullptr, y, tiling);
          },
          [tiling](const Conv2dShape& s, const float* gy, const float* w, float* gx) {
            conv2d_backward_data_direct(s, gy, w, gx, tiling);
          },
          [tiling](const Conv2dShape& s, const float* x, const float* gy, float* gw) {
            conv2d_backward_weight_direct(s, x, gy, gw, tiling);
          }};
}

std::vector<Version> versions(const std::vector<int64_t>& custom) {
  std::vector<Version> v;
  v.push_back({1, "loops", "the reference's direct loops, in float",
               [](const Conv2dShape& s, const float* x, const float* w, float* y) { conv2d_forward<float>(s, x, w, nullptr, y); },
               [](const Conv2dShape& s, const float* gy, const float* w, float* gx) { conv2d_backward_data(s, gy, w, gx); },
               [](const Conv2dShape& s, const float* x, const float* gy, float* gw) {
                 conv2d_backward_weight(s, x, gy, gw);
               }});
  // The whole reduction in one pass per tile, and whole rows per dot tile.
  const ConvTiling unblocked{nullptr, RowsSchedule{8, 0}, int64_t{1} << 40, 4};
  ConvTiling portable = unblocked;
  portable.kernels = &portable_tile_kernels();
  v.push_back(tiled(2, "flat grid, portable tiles",
                    "phase-split padded input: every tap is a shift of q, no im2col; 4x8 C++ tiles", portable));
  if (const TileKernels* avx2 = avx2_tile_kernels()) {
    ConvTiling t = unblocked;
    t.kernels = avx2;
    v.push_back(tiled(3, "AVX2 6x16 tiles", "12 ymm accumulators in registers, 2 loads + 6 broadcasts per 12 FMAs", t));
    ConvTiling blocked{avx2, RowsSchedule{4, 144}, 256, 4};
    v.push_back(tiled(4, "AVX2, L1 blocking",
                      "the reduction in blocks of ~144 steps that stay in L1; dot tiles over q chunks of 256", blocked));
    ConvTiling production;
    production.kernels = avx2;
    v.push_back(tiled(5, "AVX2, blocks of 576 steps (production)",
                      "v3, with reductions longer than 576 steps (64 channels of 3x3) split in blocks", production));
  }
  if (const TileKernels* avx512 = avx512_tile_kernels()) {
    ConvTiling blocked;
    blocked.kernels = avx512;
    v.push_back(tiled(6, "AVX-512 8x32 tiles (production)", "16 zmm accumulators, the loop nest of v5", blocked));
  }
  if (!custom.empty()) {  // --schedule: the production kernels with another loop nest
    ConvTiling t{nullptr, RowsSchedule{custom[0], custom[1]}, custom[2], custom[3]};
    v.push_back(tiled(99, "--schedule", "production kernels, the loop nest from the command line", t));
  }
  return v;
}

struct LayerShape {
  Conv2dShape s;
  const char* where;
};

std::vector<LayerShape> shapes(const std::string& set) {
  auto make = [](int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t k, int64_t stride) {
    return Conv2dShape::make(N, C_in, H, W, C_out, k, k, stride, k / 2);
  };
  if (set == "small")  // odd sizes, channels off every tile size, both strides
    return {{make(2, 3, 7, 9, 5, 3, 1), "3x3, odd image"},
            {make(2, 13, 10, 11, 11, 3, 2), "3x3 stride 2"},
            {make(1, 17, 6, 5, 70, 1, 1), "1x1"},
            {make(2, 5, 7, 6, 9, 1, 2), "1x1 stride 2"},
            {make(1, 40, 6, 7, 13, 3, 1), "3x3, a reduction of several L1 blocks"},
            {Conv2dShape::make(1, 4, 9, 9, 7, 5, 5, 1, 2), "5x5"}};
  HM_CHECK(set == "hrnet", "--shapes must be small or hrnet, got '{}'", set);
  // HRNet-W18-small at 256x320 (W x H), batch 8: its heaviest layer kinds.
  return {{make(8, 1, 320, 256, 64, 3, 2), "stem 1 (gray input)"},
          {make(8, 64, 160, 128, 64, 3, 2), "stem 2"},
          {make(8, 64, 80, 64, 128, 1, 1), "bottleneck expansion"},
          {make(8, 16, 80, 64, 16, 3, 1), "branch 1 block"},
          {make(8, 32, 40, 32, 32, 3, 1), "branch 2 block"},
          {make(8, 64, 20, 16, 64, 3, 1), "branch 3 block"},
          {make(8, 128, 10, 8, 128, 3, 1), "branch 4 block"},
          {make(8, 16, 80, 64, 32, 3, 2), "transition down"},
          {make(8, 32, 40, 32, 16, 1, 1), "fuse up 1x1"}};
}

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::empty(shape);
  Generator gen(seed);
  normal_(t, gen);
  return t;
}

// Normalised error of `got` against the double reference.
double relative_error(const Tensor& got, const std::vector<double>& want) {
  double err = 0, ref = 0;
  const float* g = got.data();
  for (size_t i = 0; i < want.size(); ++i) {
    err += (g[i] - want[i]) * (g[i] - want[i]);
    ref += want[i] * want[i];
  }
  return std::sqrt(err / std::max(ref, 1e-30));
}

std::vector<double> to_double(const Tensor& t) { return std::vector<double>(t.data(), t.data() + t.numel()); }

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"heatmark CPU kernel lab: every version of the CPU convolution, validated and timed"};
  std::string shape_set = "small";
  int repeat = 5, threads = 0;
  std::string only;
  std::vector<int64_t> schedule;
  app.add_option("--shapes", shape_set, "small (validate) or hrnet (validate and time)")->capture_default_str();
  app.add_option("--repeat", repeat, "Timed rounds (the median is shown)")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (default: all cores)");
  app.add_option("--only", only, "Only the layers whose description contains this text");
  app.add_option("--schedule", schedule,
                 "Also time a v99: CHUNK_TILES STEPS_PER_BLOCK DOT_Q_CHUNK DOT_COLUMN_BLOCKS (see tensor/cpu/conv2d.h)")
      ->expected(4);
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_num_threads(threads);
  const bool timing = shape_set == "hrnet";

  const std::vector<Version> all = versions(schedule);
  fmt::print("versions (CPU kernels of this machine: {}):\n", cpu_kernels());
  for (const Version& v : all) fmt::print("  v{} {:<44} {}\n", v.number, v.name, v.idea);
  // The vendor library, when this build and machine have it.
  std::string vendor_missing;
  try {
    kernels::select_kernel_provider("vendor", Device::cpu());
    kernels::set_kernel_provider(kernels::KernelProvider::HandWritten);
  } catch (const Error& e) {
    vendor_missing = e.what();
  }
  const bool with_vendor = timing && vendor_missing.empty();
  if (timing && !with_vendor) fmt::print("oneDNN not timed: {}\n", vendor_missing);
  double peak = 0;
  if (timing) {
    peak = measure_fma_peak(num_threads()).gflops;
    fmt::print("{} threads, measured FMA peak {:.1f} GFLOP/s\n", num_threads(), peak);
  }

  bool all_ok = true;
  for (const LayerShape& layer : shapes(shape_set)) {
    if (!only.empty() && std::string(layer.where).find(only) == std::string::npos) continue;
    const Conv2dShape& s = layer.s;
    fmt::print("\n{}: x({}, {}, {}, {}) w({}, {}, {}, {}) stride {}, {:.3f} GFLOP forward\n", layer.where, s.N, s.C_in,
               s.H, s.W, s.C_out, s.C_in, s.kH, s.kW, s.stride, s.flops() / 1e9);
    const Tensor x = random_tensor({s.N, s.C_in, s.H, s.W}, 1), w = random_tensor({s.C_out, s.C_in, s.kH, s.kW}, 2);
    const Tensor gy = random_tensor({s.N, s.C_out, s.OH, s.OW}, 3);
    // The double reference.
    const std::vector<double> xd = to_double(x), wd = to_double(w), gyd = to_double(gy);
    std::vector<double> y_ref(gy.numel()), gx_ref(x.numel()), gw_ref(w.numel(), 0.0);
    conv2d_forward<double>(s, xd.data(), wd.data(), nullptr, y_ref.data());
    conv2d_backward_data<double>(s, gyd.data(), wd.data(), gx_ref.data());
    conv2d_backward_weight<double>(s, xd.data(), gyd.data(), gw_ref.data());

    Tensor y = Tensor::empty(gy.shape()), gx = Tensor::empty(x.shape()), gw = Tensor::empty(w.shape());
    struct Timing {
      std::vector<double> fwd, data, weight;
    };
    std::vector<Timing> times(all.size() + 1);  // the last: oneDNN
    for (size_t i = 0; i < all.size(); ++i) {
      const Version& v = all[i];
      v.forward(s, x.data(), w.data(), y.data());
      v.backward_data(s, gy.data(), w.data(), gx.data());
      kernels::fill(gw, 0.0f);
      v.backward_weight(s, x.data(), gy.data(), gw.data());
      const double e[3] = {relative_error(y, y_ref), relative_error(gx, gx_ref), relative_error(gw, gw_ref)};
      const bool ok = e[0] < 1e-5 && e[1] < 1e-5 && e[2] < 1e-5;
      all_ok = all_ok && ok;
      if (!ok || !timing)
        fmt::print("  v{} {}: relative error forward {:.1e}, data {:.1e}, weight {:.1e}\n", v.number,
                   ok ? "agrees" : "DISAGREES", e[0], e[1], e[2]);
    }
    if (!timing) continue;
    Tensor gw_vendor = Tensor::zeros(w.shape());
    for (int r = 0; r < repeat + 1; ++r) {  // round 0 warms up
      for (size_t i = 0; i <= all.size(); ++i) {
        if (i == all.size() && !with_vendor) continue;
        const bool vendor = i == all.size();
        if (!vendor && all[i].number == 1 && r > 1) continue;  // the loops are slow: two rounds are enough
        double t0 = now_ms();
        if (vendor) {
          kernels::set_kernel_provider(kernels::KernelProvider::Vendor);
          (void)kernels::conv2d_forward(x, w, Tensor(), static_cast<int>(s.stride), static_cast<int>(s.pad));
        } else {
          all[i].forward(s, x.data(), w.data(), y.data());
        }
        double t1 = now_ms();
        if (vendor)
          (void)kernels::conv2d_backward_data(s, gy, w);
        else
          all[i].backward_data(s, gy.data(), w.data(), gx.data());
        double t2 = now_ms();
        if (vendor) {
          kernels::conv2d_backward_weight(s, x, gy, gw_vendor);
          kernels::set_kernel_provider(kernels::KernelProvider::HandWritten);
        } else {
          all[i].backward_weight(s, x.data(), gy.data(), gw.data());
        }
        double t3 = now_ms();
        if (r == 0) continue;
        times[i].fwd.push_back(t1 - t0);
        times[i].data.push_back(t2 - t1);
        times[i].weight.push_back(t3 - t2);
      }
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v.empty() ? 0.0 : v[v.size() / 2];
    };
    const double gflop = s.flops() / 1e9;
    const Timing& vendor = times.back();
    fmt::print("  {:<48} {:>9} {:>9} {:>9} {:>7} {:>8}{}\n", "version", "fwd ms", "data ms", "weight ms", "%peak",
               "total ms", with_vendor ? "  /oneDNN (fwd, data, weight)" : "");
    for (size_t i = 0; i <= all.size(); ++i) {
      if (i == all.size() && !with_vendor) continue;
      const double f = median(times[i].fwd), d = median(times[i].data), wt = median(times[i].weight);
      const double total = f + d + wt;
      const std::string name = i == all.size() ? "oneDNN" : fmt::format("v{} {}", all[i].number, all[i].name);
      fmt::print("  {:<48} {:>9.3f} {:>9.3f} {:>9.3f} {:>6.1f}% {:>8.2f}", name, f, d, wt,
                 100 * 3 * gflop / (total * 1e-3) / peak, total);
      if (with_vendor && i < all.size())
        fmt::print("  {:.2f}x, {:.2f}x, {:.2f}x", f / median(vendor.fwd), d / median(vendor.data),
                   wt / median(vendor.weight));
      fmt::print("\n");
    }
  }
  if (!all_ok) {
    fmt::print("\nsome version disagrees with the reference\n");
    return 1;
  }
  fmt::print("\nevery version agrees with the double reference\n");
  return 0;
}

}  // namespace heatmark::cpu::lab

int main(int argc, char** argv) {
  try {
    return heatmark::cpu::lab::run(argc, argv);
  } catch (const heatmark::Error& e) {
    fmt::print(stderr, "heatmark_cpu_lab: error: {}\n", e.what());
    return 1;
  }
}
