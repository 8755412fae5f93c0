// oneDNN, the CPU's vendor kernels (tensor/cpu/vendor/onednn.h): loading,
// conv2d parity with the double CPU reference at shapes off oneDNN's channel
// blocks, the accumulating weight gradient, and the plan cache. The op
// harness runs conv2d and conv_transpose2d on the "cpu vendor" backend too
// (tests/harness/test_op_harness.cpp).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "base/error.h"
#include "tensor/cpu/conv2d.h"
#include "tensor/cpu/vendor/onednn.h"
#include "tensor/parallel.h"
#include "tensor/philox.h"

using namespace heatmark;

#if HEATMARK_HAS_ONEDNN

namespace {

// Values in (-1, 1) from a seed, exactly representable in float.
std::vector<double> draw(int64_t n, uint64_t stream) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = 2.0 * philox_uniform(philox_block(7, i, stream).v[0]) - 1.0;
  return v;
}

std::vector<float> floats(const std::vector<double>& v) { return {v.begin(), v.end()}; }

// sum((a - b)^2) / sum(b^2): float against the double reference, as the op harness measures it.
double normalised_error(const std::vector<float>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return num / std::max(den, 1e-30);
}

struct Case {
  const char* what;
  Conv2dShape s;
  bool bias;
};

// Odd shapes: channel counts off oneDNN's blocks of 8 and 16, strides whose
// windows leave the last row unread, pointwise and 5x5 kernels.
std::vector<Case> odd_cases() {
  return {
      {"3x3 stride 1, 3 -> 5 channels", Conv2dShape::make(2, 3, 7, 9, 5, 3, 3, 1, 1), true},
      {"3x3 stride 2, odd image", Conv2dShape::make(2, 3, 7, 9, 5, 3, 3, 2, 1), true},
      {"3x3 stride 2, the last row and column unread", Conv2dShape::make(2, 5, 8, 10, 6, 3, 3, 2, 0), false},
      {"3x3 stride 2, right padding partly unused", Conv2dShape::make(1, 9, 8, 10, 11, 3, 3, 2, 1), true},
      {"1x1, 17 -> 7 channels", Conv2dShape::make(2, 17, 5, 4, 7, 1, 1, 1, 0), false},
      {"1x1 stride 2, 18 -> 36 channels (an HRNet-W18 downsampling width)", Conv2dShape::make(1, 18, 9, 9, 36, 1, 1, 2, 0), true},
      {"5x5 padding 2", Conv2dShape::make(1, 2, 9, 9, 3, 5, 5, 1, 2), true},
      {"3x3, 17 -> 70 channels", Conv2dShape::make(1, 17, 6, 5, 70, 3, 3, 1, 1), true},
  };
}

struct Inputs {
  std::vector<double> x, w, b, gy;
};
Inputs inputs_for(const Conv2dShape& s) {
  return {draw(s.N * s.C_in * s.H * s.W, 0), draw(s.C_out * s.C_in * s.kH * s.kW, 1), draw(s.C_out, 2),
          draw(s.N * s.C_out * s.OH * s.OW, 3)};
}

constexpr double kTolerance = 1e-10;  // the op harness's conv2d tolerance

}  // namespace

TEST_CASE("onednn: the library of this build's oneDNN version loads and names itself") {
  CHECK(onednn::built_in());
  const std::string version = onednn::version();
  INFO(version);
  CHECK(version.starts_with("oneDNN 2."));
  CHECK(onednn::report() == version);
}

TEST_CASE("onednn: conv2d forward, data and weight gradients match the double reference at odd shapes") {
  for (const Case& c : odd_cases()) {
    INFO(c.what);
    const Conv2dShape& s = c.s;
    const Inputs in = inputs_for(s);

    std::vector<double> y(s.N * s.C_out * s.OH * s.OW);
    cpu::conv2d_forward(s, in.x.data(), in.w.data(), c.bias ? in.b.data() : nullptr, y.data());
    std::vector<float> y_f(y.size());
    const std::vector<float> x_f = floats(in.x), w_f = floats(in.w), b_f = floats(in.b), gy_f = floats(in.gy);
    onednn::conv2d_forward(s, x_f.data(), w_f.data(), c.bias ? b_f.data() : nullptr, y_f.data());
    CHECK(normalised_error(y_f, y) <= kTolerance);

    std::vector<double> gx(in.x.size());
    cpu::conv2d_backward_data(s, in.gy.data(), in.w.data(), gx.data());
    std::vector<float> gx_f(gx.size(), NAN);  // written, whatever it held
    onednn::conv2d_backward_data(s, gy_f.data(), w_f.data(), gx_f.data());
    CHECK(normalised_error(gx_f, gx) <= kTolerance);

    std::vector<double> gw(in.w.size(), 0.0);
    cpu::conv2d_backward_weight(s, in.x.data(), in.gy.data(), gw.data());
    std::vector<float> gw_f(gw.size(), 0.0f);
    onednn::conv2d_backward_weight(s, x_f.data(), gy_f.data(), gw_f.data());
    CHECK(normalised_error(gw_f, gw) <= kTolerance);
  }
}

TEST_CASE("onednn: the weight gradient accumulates into what the gradient holds (+=)") {
  // The contract of tensor/cpu/conv2d.h: parameter gradients add up over
  // calls (a weight shared by two convolutions, or gradient accumulation).
  const Conv2dShape s = Conv2dShape::make(2, 5, 8, 10, 6, 3, 3, 2, 1);
  const Inputs in = inputs_for(s);
  const std::vector<double> before = draw(s.C_out * s.C_in * s.kH * s.kW, 4);
  std::vector<double> expected = before;
  cpu::conv2d_backward_weight(s, in.x.data(), in.gy.data(), expected.data());
  cpu::conv2d_backward_weight(s, in.x.data(), in.gy.data(), expected.data());

  const std::vector<float> x_f = floats(in.x), gy_f = floats(in.gy);
  std::vector<float> gw = floats(before);
  onednn::conv2d_backward_weight(s, x_f.data(), gy_f.data(), gw.data());
  onednn::conv2d_backward_weight(s, x_f.data(), gy_f.data(), gw.data());
  CHECK(normalised_error(gw, expected) <= kTolerance);
}

TEST_CASE("onednn: each direction of a shape is planned once, and again for another thread count") {
  const Conv2dShape s = Conv2dShape::make(1, 3, 11, 13, 4, 3, 3, 1, 1);  // a shape no other case uses
  const Inputs in = inputs_for(s);
  const std::vector<float> x = floats(in.x), w = floats(in.w), gy = floats(in.gy);
  std::vector<float> y(gy.size()), gx(x.size()), gw(w.size(), 0.0f);
  auto run_all = [&] {
    onednn::conv2d_forward(s, x.data(), w.data(), nullptr, y.data());
    onednn::conv2d_backward_data(s, gy.data(), w.data(), gx.data());
    onednn::conv2d_backward_weight(s, x.data(), gy.data(), gw.data());
  };
  const size_t before = onednn::cached_plans();
  run_all();
  CHECK(onednn::cached_plans() == before + 3);
  const std::vector<float> first = y;
  run_all();
  CHECK(onednn::cached_plans() == before + 3);  // nothing made per call
  CHECK(y == first);

  // oneDNN splits its work by the thread count when a primitive is made, so
  // --threads makes its own plans, and they compute the same convolution.
  const int threads = num_threads();
  set_num_threads(threads == 1 ? 2 : 1);
  run_all();
  set_num_threads(threads);
  CHECK(onednn::cached_plans() == before + 6);
  std::vector<double> y_ref(y.size());
  cpu::conv2d_forward(s, in.x.data(), in.w.data(), static_cast<const double*>(nullptr), y_ref.data());
  CHECK(normalised_error(y, y_ref) <= kTolerance);
}

TEST_CASE("onednn: runs at one thread count repeat their bits (the weight gradient may differ between counts)") {
  // oneDNN's forward and data gradient split the work by output blocks. Its
  // weight gradient also splits the sum over the batch between threads when
  // there are many (measured: 8 and 16), and adds the partial sums in a
  // fixed order: bitwise reproducible run to run at one thread count, as the
  // op harness's determinism check asks of every backend, but not across
  // counts, unlike the hand-written kernels (tests/tensor/test_parallel.cpp).
  const int original = num_threads();
  int differing = 0;
  for (const Conv2dShape& s : {Conv2dShape::make(8, 18, 64, 64, 18, 3, 3, 1, 1),
                               Conv2dShape::make(2, 3, 128, 128, 32, 3, 3, 2, 1),
                               Conv2dShape::make(1, 270, 32, 32, 18, 1, 1, 1, 0)}) {
    const Inputs in = inputs_for(s);
    const std::vector<float> x = floats(in.x), w = floats(in.w), gy = floats(in.gy);
    auto run = [&](int threads) {
      set_num_threads(threads);
      std::vector<float> y(gy.size()), gx(x.size()), gw(w.size(), 0.0f);
      onednn::conv2d_forward(s, x.data(), w.data(), nullptr, y.data());
      onednn::conv2d_backward_data(s, gy.data(), w.data(), gx.data());
      onednn::conv2d_backward_weight(s, x.data(), gy.data(), gw.data());
      return std::vector<std::vector<float>>{y, gx, gw};
    };
    const auto one = run(1), one_again = run(1), eight = run(8), eight_again = run(8);
    set_num_threads(original);
    CHECK(one == one_again);
    CHECK(eight == eight_again);
    differing += one[2] != eight[2];
  }
  MESSAGE("weight gradients of 1 and 8 threads differ in ", differing, " of 3 shapes (the hand-written kernels: none)");
}

#else

TEST_CASE("onednn: a build without oneDNN's headers says so, naming what to install") {
  CHECK_FALSE(onednn::built_in());
  CHECK_THROWS_WITH_AS(onednn::version(), doctest::Contains("this build has no oneDNN support: rebuild with libdnnl-dev"),
                       Error);
  CHECK(onednn::report().find("not built in") != std::string::npos);
}

#endif
