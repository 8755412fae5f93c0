// Op harness cases of the landmark ops: render_gaussian_heatmaps, crop_patches, soft_argmax,
// weighted_mse, weighted_l1: shapes, the double CPU reference (tensor/cpu/) and the op under
// test (autograd/ops.h).
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "autograd/ops.h"
#include "harness/op_cases.h"
#include "tensor/cpu/crop_patches.h"
#include "tensor/cpu/losses.h"
#include "tensor/cpu/render_gaussian_heatmaps.h"
#include "tensor/cpu/soft_argmax.h"

namespace heatmark::harness {

namespace {

using Inputs = std::vector<DoubleVector>;
using Grads = std::vector<DoubleVector>;

// ---- landmark heatmaps ------------------------------------------------------------------

// Coordinates in heatmap pixels spread a little beyond the map, so some are outside it.
InputSpec landmark_coordinates(int64_t N, int64_t K, double extent) {
  return {"coords", Shape{N, K, 2}, false, Init::Uniform, -0.15 * extent, 1.15 * extent};
}

OpCase render_gaussian_heatmaps_case(int64_t N, int64_t K, int64_t H, int64_t W, double sigma) {
  const HeatmapShape s{N, K, H, W};
  OpCase c;
  c.op = "render_gaussian_heatmaps";
  c.params = "sigma " + std::to_string(sigma).substr(0, 4);
  c.inputs = {landmark_coordinates(N, K, static_cast<double>(std::max(H, W))), {"visibility", Shape{N, K}, false, Init::Mask}};
  c.reference = [s, sigma](const Inputs& in) {
    DoubleVector out(s.N * s.K * s.H * s.W + s.N * s.K);  // targets, then weights
    cpu::render_gaussian_heatmaps(s, in[0].data(), in[1].data(), sigma, out.data(), out.data() + s.N * s.K * s.H * s.W);
    return out;
  };
  c.run = [H, W, sigma](const std::vector<Tensor>& t) {
    const kernels::HeatmapTargets out = kernels::render_gaussian_heatmaps(t[0], t[1], H, W, static_cast<float>(sigma));
    return kernels::concat_channels({out.target.reshape({1, -1, 1, 1}), out.weight.reshape({1, -1, 1, 1})});
  };
  c.flops = 10.0 * N * K * H * W;
  c.forward_tolerance = 1e-11;
  return c;
}

OpFamily render_gaussian_heatmaps_family() {
  OpFamily f{"render_gaussian_heatmaps", {}, {}};
  f.cases = {render_gaussian_heatmaps_case(2, 3, 16, 12, 3.0), render_gaussian_heatmaps_case(1, 19, 24, 20, 2.0),
             render_gaussian_heatmaps_case(3, 1, 7, 9, 1.5)};
  f.perf_cases = {render_gaussian_heatmaps_case(4, 19, 192, 192, 3.0)};
  return f;
}

// N patches of out_h x out_w pixels from B images of H x W, each rotated by a multiple of
// `degrees` and scaled by `scale` about a centre spread a little beyond the image, so some
// patches lie partly (or wholly) outside it. Rows are float: the reference sees exactly the
// values the backends do.
std::vector<float> patch_rows(int64_t B, int64_t H, int64_t W, int64_t N, int64_t out_h, int64_t out_w,
                              double degrees, double scale) {
  std::vector<float> rows;
  for (int64_t n = 0; n < N; ++n) {
    // A low-discrepancy spread of centres over [-0.2, 1.2] of the image along each axis.
    const double fx = std::fmod(0.618034 * n + 0.3, 1.0), fy = std::fmod(0.414214 * n + 0.7, 1.0);
    const double cx = W * (-0.2 + 1.4 * fx), cy = H * (-0.2 + 1.4 * fy);
    const double angle = degrees * static_cast<double>(n % 4) * std::numbers::pi / 180;
    const double a = scale * std::cos(angle), bb = -scale * std::sin(angle);
    const double d = scale * std::sin(angle), e = scale * std::cos(angle);
    // The patch centre (out_w / 2, out_h / 2) lands on (cx, cy).
    const double c = cx - a * out_w / 2 - bb * out_h / 2, f = cy - d * out_w / 2 - e * out_h / 2;
    for (double v : {static_cast<double>(n % B), a, bb, c, d, e, f}) rows.push_back(static_cast<float>(v));
  }
  return rows;
}

OpCase crop_patches_case(int64_t B, int64_t C, int64_t H, int64_t W, int64_t N, int64_t out_h, int64_t out_w,
                         double degrees, double scale, float fill) {
  const CropPatchesShape s{B, C, H, W, N, out_h, out_w};
  const std::vector<float> rows = patch_rows(B, H, W, N, out_h, out_w, degrees, scale);
  OpCase c;
  c.op = "crop_patches";
  c.params = fmt::format("{} patches {}x{}, rotation n*{} deg, scale {}, fill {}", N, out_h, out_w, degrees, scale,
                         fill);
  c.inputs = {{"images", Shape{B, C, H, W}, false}};
  c.reference = [s, rows, fill](const Inputs& in) {
    const DoubleVector patches(rows.begin(), rows.end());
    DoubleVector out(s.N * s.C * s.OH * s.OW);
    cpu::crop_patches(s, in[0].data(), patches.data(), fill, out.data());
    return out;
  };
  c.run = [s, rows, fill](const std::vector<Tensor>& t) {
    const Tensor patches = Tensor::from_vector(rows, {s.N, kPatchRowSize}, t[0].device());
    return crop_patches(t[0], patches, s.OH, s.OW, fill);
  };
  c.flops = 12.0 * N * C * out_h * out_w;
  return c;
}

OpFamily crop_patches_family() {
  OpFamily f{"crop_patches", {}, {}};
  f.cases = {crop_patches_case(1, 1, 20, 24, 5, 7, 9, 0, 1, 0.0f),
             crop_patches_case(3, 3, 17, 23, 8, 9, 9, 30, 1.5, 0.25f),
             crop_patches_case(2, 1, 31, 29, 11, 5, 13, -70, 0.6, -1.0f),
             crop_patches_case(2, 3, 9, 11, 6, 16, 12, 45, 0.35, 0.5f)};
  // A refiner's batch: 19 landmarks of 4 high-resolution images, 64x64 patches.
  f.perf_cases = {crop_patches_case(4, 1, 1935, 2400, 4 * 19, 64, 64, 10, 1, 0.0f)};
  return f;
}

OpCase soft_argmax_case(int64_t N, int64_t K, int64_t H, int64_t W, double beta) {
  const HeatmapShape s{N, K, H, W};
  OpCase c;
  c.op = "soft_argmax";
  c.params = "beta " + std::to_string(static_cast<int>(beta));
  c.inputs = {{"heatmaps", Shape{N, K, H, W}}};
  c.reference = [s, beta](const Inputs& in) {
    DoubleVector coords(s.N * s.K * 2);
    cpu::soft_argmax_forward(s, in[0].data(), beta, coords.data());
    return coords;
  };
  c.reference_backward = [s, beta](const Inputs& in, const DoubleVector& g) {
    DoubleVector coords(s.N * s.K * 2), gh(in[0].size());
    cpu::soft_argmax_forward(s, in[0].data(), beta, coords.data());
    cpu::soft_argmax_backward(s, in[0].data(), coords.data(), g.data(), beta, gh.data());
    return Grads{gh};
  };
  c.run = [beta](const std::vector<Tensor>& t) { return soft_argmax(t[0], static_cast<float>(beta)); };
  c.flops = 8.0 * N * K * H * W;
  // exp(beta * h) amplifies float rounding of h by beta.
  c.forward_tolerance = 1e-9;
  c.backward_tolerance = 1e-8;
  return c;
}

OpFamily soft_argmax_family() {
  OpFamily f{"soft_argmax", {}, {}};
  f.cases = {soft_argmax_case(2, 3, 8, 9, 20), soft_argmax_case(1, 1, 1, 5, 20), soft_argmax_case(1, 2, 16, 16, 5),
             soft_argmax_case(2, 1, 33, 7, 20)};
  f.perf_cases = {soft_argmax_case(4, 19, 192, 192, 20)};
  return f;
}

// ---- losses -------------------------------------------------------------------------------

OpCase weighted_mse_case(int64_t N, int64_t K, int64_t H, int64_t W) {
  const int64_t maps = N * K, per_map = H * W;
  OpCase c;
  c.op = "weighted_mse";
  c.inputs = {{"heatmaps", Shape{N, K, H, W}}, {"target", Shape{N, K, H, W}, false}, {"weight", Shape{N, K}, false, Init::Mask}};
  c.reference = [=](const Inputs& in) {
    return DoubleVector{cpu::weighted_mse_forward(in[0].data(), in[1].data(), in[2].data(), maps, per_map)};
  };
  c.reference_backward = [=](const Inputs& in, const DoubleVector& g) {
    DoubleVector grad(in[0].size());
    cpu::weighted_mse_backward(in[0].data(), in[1].data(), in[2].data(), maps, per_map, g[0], grad.data());
    return Grads{grad, {}, {}};
  };
  c.run = [](const std::vector<Tensor>& t) { return weighted_mse(t[0], t[1], t[2]); };
  c.flops = 3.0 * maps * per_map;
  return c;
}

OpFamily weighted_mse_family() {
  OpFamily f{"weighted_mse", {}, {}};
  f.cases = {weighted_mse_case(2, 3, 8, 9), weighted_mse_case(1, 1, 1, 1), weighted_mse_case(3, 19, 5, 4)};
  f.perf_cases = {weighted_mse_case(4, 19, 192, 192)};
  return f;
}

OpCase weighted_l1_case(int64_t N, int64_t K) {
  OpCase c;
  c.op = "weighted_l1";
  c.inputs = {{"coords", Shape{N, K, 2}}, {"truth", Shape{N, K, 2}, false}, {"weight", Shape{N, K}, false, Init::Mask}};
  c.reference = [=](const Inputs& in) {
    return DoubleVector{cpu::weighted_l1_forward(in[0].data(), in[1].data(), in[2].data(), N * K)};
  };
  c.reference_backward = [=](const Inputs& in, const DoubleVector& g) {
    DoubleVector grad(in[0].size());
    cpu::weighted_l1_backward(in[0].data(), in[1].data(), in[2].data(), N * K, g[0], grad.data());
    return Grads{grad, {}, {}};
  };
  c.run = [](const std::vector<Tensor>& t) { return weighted_l1(t[0], t[1], t[2]); };
  c.flops = 4.0 * N * K;
  return c;
}

OpFamily weighted_l1_family() {
  OpFamily f{"weighted_l1", {}, {}};
  f.cases = {weighted_l1_case(2, 3), weighted_l1_case(1, 1), weighted_l1_case(4, 19)};
  f.perf_cases = {weighted_l1_case(64, 29)};
  return f;
}

}  // namespace

std::vector<OpFamily> landmark_families() {
  return {
      render_gaussian_heatmaps_family(),
      crop_patches_family(),
      soft_argmax_family(),
      weighted_mse_family(),
      weighted_l1_family(),
  };
}

}  // namespace heatmark::harness
