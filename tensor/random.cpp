#include "tensor/random.h"

#include <cmath>
#include <vector>

#include "base/error.h"
#include "tensor/parallel.h"
#include "tensor/philox.h"

namespace heatmark {

uint64_t Generator::reserve(int64_t count) {
  const uint64_t first = offset_;
  offset_ += static_cast<uint64_t>((count + 3) / 4);
  return first;
}

namespace {

// Fills host values[i] = f(block words, lane) for every element, in parallel
// over 4-element blocks, then copies to t's device.
template <typename PerBlock>
void fill_blocks(Tensor& t, Generator& gen, PerBlock&& per_block) {
  HM_CHECK(t.defined(), "random fill of an undefined tensor");
  const int64_t n = t.numel();
  const uint64_t first = gen.reserve(n);
  std::vector<float> values(n);
  parallel_for(0, (n + 3) / 4, 4096, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      const Philox4x32 words = philox_block(gen.seed(), first + b, 0);
      float out[4];
      per_block(words, out);
      for (int lane = 0; lane < 4 && b * 4 + lane < n; ++lane) values[b * 4 + lane] = out[lane];
    }
  });
  t.copy_from(Tensor::from_vector(values, t.shape()));
}

}  // namespace

void uniform_(Tensor& t, Generator& gen, float low, float high) {
  fill_blocks(t, gen, [=](const Philox4x32& w, float out[4]) {
    for (int i = 0; i < 4; ++i) out[i] = low + (high - low) * philox_uniform(w.v[i]);
  });
}

void normal_(Tensor& t, Generator& gen, float mean, float stddev) {
  // Box-Muller: two uniforms give two independent standard normals.
  fill_blocks(t, gen, [=](const Philox4x32& w, float out[4]) {
    for (int pair = 0; pair < 2; ++pair) {
      const double u1 = philox_uniform(w.v[2 * pair]), u2 = philox_uniform(w.v[2 * pair + 1]);
      const double radius = std::sqrt(-2.0 * std::log(u1)), angle = 2.0 * M_PI * u2;
      out[2 * pair] = static_cast<float>(mean + stddev * radius * std::cos(angle));
      out[2 * pair + 1] = static_cast<float>(mean + stddev * radius * std::sin(angle));
    }
  });
}

void kaiming_normal_(Tensor& t, Generator& gen, float gain) {
  HM_CHECK(t.defined() && t.ndim() >= 2, "kaiming_normal_: {} needs at least 2 dimensions, got shape {}",
           t.label("weight"), t.defined() ? t.shape().str() : "undefined");
  const int64_t fan_in = t.numel() / t.size(0);
  normal_(t, gen, 0.0f, gain / std::sqrt(static_cast<float>(std::max<int64_t>(fan_in, 1))));
}

}  // namespace heatmark
