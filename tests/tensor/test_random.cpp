#include <doctest/doctest.h>

#include <cmath>

#include "tensor/philox.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

using namespace heatmark;

// Known-answer vectors from the Random123 distribution (kat_vectors):
// counter (4 words), key (2 words) -> output (4 words).
TEST_CASE("random: philox4x32-10 matches the Random123 known-answer vectors") {
  struct Kat {
    Philox4x32 counter;
    uint32_t k0, k1;
    Philox4x32 expected;
  };
  const Kat kats[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, 0xffffffff, 0xffffffff,
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, 0xa4093822, 0x299f31d0,
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const Kat& k : kats) {
    const Philox4x32 out = philox4x32_10(k.counter, k.k0, k.k1);
    for (int i = 0; i < 4; ++i) CHECK(out.v[i] == k.expected.v[i]);
  }
}

namespace {
struct Moments {
  double mean, stddev, min, max;
};
Moments moments(const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  double s = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
  for (float x : v) {
    s += x;
    sq += double(x) * x;
    lo = std::min(lo, double(x));
    hi = std::max(hi, double(x));
  }
  const double mean = s / v.size();
  return {mean, std::sqrt(sq / v.size() - mean * mean), lo, hi};
}
}  // namespace

TEST_CASE("random: uniform and normal have the right range and moments") {
  Generator gen(42);
  Tensor u = Tensor::empty({100000});
  uniform_(u, gen, -2.0f, 3.0f);
  const Moments mu = moments(u);
  CHECK(mu.min >= -2.0);
  CHECK(mu.max <= 3.0);
  CHECK(mu.mean == doctest::Approx(0.5).epsilon(0.02));
  CHECK(mu.stddev == doctest::Approx(5.0 / std::sqrt(12.0)).epsilon(0.01));

  Tensor n = Tensor::empty({100001});  // odd size: a partial last Philox block
  normal_(n, gen, 1.0f, 2.0f);
  const Moments mn = moments(n);
  CHECK(mn.mean == doctest::Approx(1.0).epsilon(0.02));
  CHECK(mn.stddev == doctest::Approx(2.0).epsilon(0.01));
  CHECK(std::isfinite(mn.min));
  CHECK(std::isfinite(mn.max));
}

TEST_CASE("random: kaiming normal uses sqrt(2 / fan_in)") {
  Generator gen(7);
  Tensor w = Tensor::empty({64, 32, 3, 3});  // fan_in = 288
  kaiming_normal_(w, gen);
  CHECK(moments(w).stddev == doctest::Approx(std::sqrt(2.0 / 288.0)).epsilon(0.02));
  CHECK(std::abs(moments(w).mean) < 0.002);
}

TEST_CASE("random: a seed reproduces the same numbers, and draws advance the generator") {
  Generator a(123), b(123), c(124);
  Tensor x = Tensor::empty({1001}), y = Tensor::empty({1001}), z = Tensor::empty({1001});
  normal_(x, a);
  normal_(y, b);
  normal_(z, c);
  CHECK(x.to_vector() == y.to_vector());
  CHECK(x.to_vector() != z.to_vector());
  CHECK(a.offset() == 251);  // ceil(1001 / 4) blocks consumed
  Tensor x2 = Tensor::empty({1001});
  normal_(x2, a);
  CHECK(x2.to_vector() != x.to_vector());
  // Restoring the offset replays the draw exactly (what resume relies on).
  Generator replay(123, 251);
  Tensor x3 = Tensor::empty({1001});
  normal_(x3, replay);
  CHECK(x3.to_vector() == x2.to_vector());
}
