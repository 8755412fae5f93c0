// Op harness cases of elementwise ops, reductions and matmul: shapes, the double CPU reference
// (tensor/cpu/) and the op under test (autograd/ops.h).
#include <cmath>

#include "autograd/ops.h"
#include "harness/op_cases.h"
#include "tensor/cpu/elementwise.h"
#include "tensor/cpu/matmul.h"
#include "tensor/cpu/reduce.h"

namespace heatmark::harness {

namespace {

using Inputs = std::vector<DoubleVector>;
using Grads = std::vector<DoubleVector>;

// ---- elementwise --------------------------------------------------------------

template <typename MakeCase>
OpFamily elementwise_family(const std::string& op, MakeCase make) {
  OpFamily f{op, {}, {}};
  for (Shape s : {Shape{2, 3, 5, 7}, Shape{1, 1, 1, 1}, Shape{3, 17}}) f.cases.push_back(make(s));
  f.perf_cases.push_back(make(Shape{4, 32, 64, 64}));
  return f;
}

OpCase add_case(const Shape& s) {
  OpCase c;
  c.op = "add";
  c.inputs = {{"a", s}, {"b", s}};
  c.reference = [](const Inputs& in) {
    DoubleVector y(in[0].size());
    cpu::add_forward(in[0].data(), in[1].data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
  };
  c.reference_backward = [](const Inputs&, const DoubleVector& g) { return Grads{g, g}; };
  c.run = [](const std::vector<Tensor>& t) { return add(t[0], t[1]); };
  c.flops = static_cast<double>(s.numel());
  return c;
}

OpCase mul_case(const Shape& s) {
  OpCase c;
  c.op = "mul";
  c.inputs = {{"a", s}, {"b", s}};
  c.reference = [](const Inputs& in) {
    DoubleVector y(in[0].size());
    cpu::mul_forward(in[0].data(), in[1].data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
  };
  c.reference_backward = [](const Inputs& in, const DoubleVector& g) {
    Grads grads{DoubleVector(g.size()), DoubleVector(g.size())};
    cpu::mul_backward(in[0].data(), in[1].data(), g.data(), grads[0].data(), grads[1].data(),
                      static_cast<int64_t>(g.size()));
    return grads;
  };
  c.run = [](const std::vector<Tensor>& t) { return mul(t[0], t[1]); };
  c.flops = static_cast<double>(s.numel());
  return c;
}

OpCase scale_case(const Shape& s) {
  const double alpha = -2.375;
  OpCase c;
  c.op = "scale";
  c.params = "alpha -2.375";
  c.inputs = {{"x", s}};
  c.reference = [alpha](const Inputs& in) {
    DoubleVector y(in[0].size());
    cpu::scale_forward(in[0].data(), alpha, y.data(), static_cast<int64_t>(y.size()));
    return y;
  };
  c.reference_backward = [alpha](const Inputs&, const DoubleVector& g) {
    DoubleVector gx(g.size());
    cpu::scale_forward(g.data(), alpha, gx.data(), static_cast<int64_t>(g.size()));
    return Grads{gx};
  };
  c.run = [alpha](const std::vector<Tensor>& t) { return scale(t[0], static_cast<float>(alpha)); };
  c.flops = static_cast<double>(s.numel());
  return c;
}

OpCase relu_case(const Shape& s) {
  OpCase c;
  c.op = "relu";
  c.inputs = {{"x", s, true, Init::AwayFromZero}};
  c.reference = [](const Inputs& in) {
    DoubleVector y(in[0].size());
    cpu::relu_forward(in[0].data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
  };
  c.reference_backward = [](const Inputs& in, const DoubleVector& g) {
    DoubleVector y(g.size()), gx(g.size());
    cpu::relu_forward(in[0].data(), y.data(), static_cast<int64_t>(y.size()));
    cpu::relu_backward(y.data(), g.data(), gx.data(), static_cast<int64_t>(g.size()));
    return Grads{gx};
  };
  c.run = [](const std::vector<Tensor>& t) { return relu(t[0]); };
  c.flops = static_cast<double>(s.numel());
  return c;
}

// ---- reductions -----------------------------------------------------------------

OpCase reduce_case(const Shape& s, bool is_mean) {
  OpCase c;
  c.op = is_mean ? "mean" : "sum";
  c.inputs = {{"x", s}};
  const double n = static_cast<double>(s.numel());
  c.reference = [is_mean](const Inputs& in) {
    const int64_t count = static_cast<int64_t>(in[0].size());
    return DoubleVector{is_mean ? cpu::mean_all(in[0].data(), count) : cpu::sum_all(in[0].data(), count)};
  };
  c.reference_backward = [is_mean, n](const Inputs& in, const DoubleVector& g) {
    DoubleVector gx(in[0].size());
    cpu::fill(gx.data(), is_mean ? g[0] / n : g[0], static_cast<int64_t>(gx.size()));
    return Grads{gx};
  };
  c.run = [is_mean](const std::vector<Tensor>& t) { return is_mean ? mean(t[0]) : sum(t[0]); };
  c.flops = n;
  return c;
}

OpFamily reduce_family(bool is_mean) {
  OpFamily f{is_mean ? "mean" : "sum", {}, {}};
  for (Shape s : {Shape{2, 3, 5, 7}, Shape{13}, Shape{1}, Shape{3, 4100}}) f.cases.push_back(reduce_case(s, is_mean));
  f.perf_cases.push_back(reduce_case(Shape{4, 32, 64, 64}, is_mean));
  return f;
}

// ---- matmul -----------------------------------------------------------------------

OpCase matmul_case(int64_t M, int64_t K, int64_t N) {
  OpCase c;
  c.op = "matmul";
  c.inputs = {{"a", Shape{M, K}}, {"b", Shape{K, N}}};
  c.reference = [=](const Inputs& in) {
    DoubleVector y(M * N);
    cpu::matmul_forward(in[0].data(), in[1].data(), y.data(), M, K, N);
    return y;
  };
  c.reference_backward = [=](const Inputs& in, const DoubleVector& g) {
    Grads grads{DoubleVector(M * K), DoubleVector(K * N)};
    cpu::matmul_backward(in[0].data(), in[1].data(), g.data(), grads[0].data(), grads[1].data(), M, K, N);
    return grads;
  };
  c.run = [](const std::vector<Tensor>& t) { return matmul(t[0], t[1]); };
  c.flops = 2.0 * M * K * N;
  return c;
}

OpFamily matmul_family() {
  OpFamily f{"matmul", {}, {}};
  f.cases = {matmul_case(5, 7, 3), matmul_case(1, 1, 1), matmul_case(17, 33, 9), matmul_case(130, 20, 6)};
  f.perf_cases = {matmul_case(512, 512, 512)};
  return f;
}

}  // namespace

std::vector<OpFamily> elementwise_families() {
  return {
      elementwise_family("add", add_case),
      elementwise_family("mul", mul_case),
      elementwise_family("scale", scale_case),
      elementwise_family("relu", relu_case),
      reduce_family(false),
      reduce_family(true),
      matmul_family(),
  };
}

}  // namespace heatmark::harness
