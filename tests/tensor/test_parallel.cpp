#include <doctest/doctest.h>

#include <cstdlib>

#include "autograd/ops.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

using namespace heatmark;

TEST_CASE("parallel: chunks cover the range once and respect the grain") {
  std::vector<int> hits(1000, 0);
  parallel_for(0, 1000, 7, [&](int64_t lo, int64_t hi) {
    CHECK(hi - lo <= 7);
    for (int64_t i = lo; i < hi; ++i) hits[i] += 1;
  });
  for (int h : hits) CHECK(h == 1);
}

namespace {
// Forward and backward of conv -> batch_norm2d -> relu -> mean, all gradients flattened.
std::vector<float> conv_block_results(int threads) {
  set_num_threads(threads);
  Generator gen(5);
  Tensor x = Tensor::empty({2, 6, 33, 31}), w = Tensor::empty({9, 6, 3, 3}), b = Tensor::empty({9});
  uniform_(x, gen, -1, 1);
  uniform_(w, gen, -1, 1);
  uniform_(b, gen, -1, 1);
  Tensor gamma = Tensor::ones({9}), beta = Tensor::zeros({9});
  Tensor rm = Tensor::zeros({9}), rv = Tensor::ones({9});
  for (Tensor* t : {&x, &w, &b, &gamma, &beta}) t->set_requires_grad(true);
  Tensor y = mean(relu(batch_norm2d(conv2d(x, w, b, 2, 1), gamma, beta, rm, rv, true)));
  y.backward();
  std::vector<float> all = y.to_vector();
  for (Tensor* t : {&x, &w, &b, &gamma, &beta}) {
    const std::vector<float> g = t->grad().to_vector();
    all.insert(all.end(), g.begin(), g.end());
  }
  return all;
}
}  // namespace

TEST_CASE("parallel: results are bitwise identical for 1 and 2 threads, and across runs") {
  const int original = num_threads();
  const std::vector<float> one = conv_block_results(1);
  const std::vector<float> two = conv_block_results(2);
  const std::vector<float> two_again = conv_block_results(2);
  set_num_threads(original);
  CHECK(one == two);
  CHECK(two == two_again);
}
