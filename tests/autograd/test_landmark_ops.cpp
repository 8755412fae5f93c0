// The landmark ops end to end: rendered targets, soft-argmax round trips and
// the combined loss, on the CPU and under the emulator.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/ops.h"
#include "tensor/kernels.h"

using namespace heatmark;

namespace {
const Device kDevices[] = {Device::cpu(), Device::emu()};
}

TEST_CASE("landmark ops: a rendered Gaussian peaks at the landmark, and outside or invisible landmarks give zeros") {
  for (Device d : kDevices) {
    INFO("device ", d.str());
    // (x, y) in heatmap pixels: a pixel centre, a corner point, outside, invisible, NaN.
    const Tensor coords = Tensor::from_vector({4.5f, 2.5f, 3.0f, 5.0f, 9.5f, 1.0f, 2.5f, 2.5f, NAN, 1.0f}, {1, 5, 2}).to(d);
    const Tensor visible = Tensor::from_vector({1, 1, 1, 0, 1}, {1, 5}).to(d);
    const kernels::HeatmapTargets t = kernels::render_gaussian_heatmaps(coords, visible, 6, 8, 2.0f);
    const std::vector<float> map = t.target.to_vector(), weight = t.weight.to_vector();
    CHECK(weight == std::vector<float>{1, 1, 0, 0, 0});
    CHECK(map[2 * 8 + 4] == doctest::Approx(1.0f));  // row 2, column 4: centre (4.5, 2.5)
    CHECK(map[2 * 8 + 3] == doctest::Approx(std::exp(-1.0 / 8.0)));
    // The corner point (3, 5) is equidistant from the four pixels around it.
    const float* m1 = map.data() + 48;
    CHECK(m1[4 * 8 + 2] == doctest::Approx(m1[5 * 8 + 3]));
    CHECK(m1[4 * 8 + 2] == doctest::Approx(std::exp(-0.5 / 8.0)));
    for (int k = 2; k < 5; ++k)
      for (int p = 0; p < 48; ++p) CHECK(map[k * 48 + p] == 0.0f);
  }
}

TEST_CASE("landmark ops: soft-argmax of a Gaussian rendered at a sub-pixel point comes back within 0.05 heatmap pixels") {
  const int64_t H = 48, W = 64;
  const float sigma = 3.0f;
  for (Device d : kDevices) {
    const std::vector<float> points{20.3f, 17.71f, 31.05f, 24.5f, 44.9f, 30.2f, 12.62f, 33.37f};
    const Tensor coords = Tensor::from_vector(points, {1, 4, 2}).to(d);
    const Tensor visible = Tensor::ones({1, 4}, d);
    const Tensor maps = kernels::render_gaussian_heatmaps(coords, visible, H, W, sigma).target;
    const std::vector<float> found = soft_argmax(maps).to_vector();  // default beta
    for (int k = 0; k < 4; ++k) {
      INFO("device ", d.str(), ", landmark ", k);
      CHECK(std::abs(found[2 * k] * W - points[2 * k]) < 0.05f);
      CHECK(std::abs(found[2 * k + 1] * H - points[2 * k + 1]) < 0.05f);
    }
  }
}

TEST_CASE("landmark ops: too small a soft-argmax beta pulls the estimate toward the map centre") {
  const Tensor coords = Tensor::from_vector({8.0f, 8.0f}, {1, 1, 2});
  const Tensor maps = kernels::render_gaussian_heatmaps(coords, Tensor::ones({1, 1}), 64, 64, 3.0f).target;
  const float good = soft_argmax(maps, 20.0f).to_vector()[0] * 64;
  const float flat = soft_argmax(maps, 2.0f).to_vector()[0] * 64;
  CHECK(std::abs(good - 8.0f) < 0.05f);
  CHECK(flat > 20.0f);  // most of the mass is the far field: the estimate drifts to the centre (32)
}

TEST_CASE("landmark ops: the landmark loss has weighted terms, and gradients flow to the heatmaps through both terms") {
  for (Device d : kDevices) {
    INFO("device ", d.str());
    Tensor heatmaps = Tensor::zeros({1, 2, 8, 8}, d);
    heatmaps.set_requires_grad(true);
    const Tensor truth = Tensor::from_vector({0.25f, 0.5f, 0.75f, 0.5f}, {1, 2, 2}).to(d);
    const Tensor target = Tensor::ones({1, 2, 8, 8}, d);
    const Tensor weight = Tensor::from_vector({1, 0}, {1, 2}).to(d);  // the second landmark is ignored
    const Tensor coords = soft_argmax(heatmaps);                      // flat maps: (0.5, 0.5)
    const LandmarkLoss loss = landmark_loss(heatmaps, target, coords, truth, weight, 1.0f, 0.5f);
    CHECK(loss.heatmap.item() == doctest::Approx(0.5));                   // 64 ones of 128 pixels weighted
    CHECK(loss.coordinate.item() == doctest::Approx(0.25 / 4));          // |0.5 - 0.25| of 4 coordinates
    CHECK(loss.total.item() == doctest::Approx(0.5 + 0.5 * 0.0625));
    loss.total.backward();
    const std::vector<float> g = heatmaps.grad().to_vector();
    // The weighted-out landmark gets no gradient; the other gets the MSE pull toward 1.
    for (int p = 64; p < 128; ++p) CHECK(g[p] == 0.0f);
    CHECK(g[0] < 0.0f);
  }
}
