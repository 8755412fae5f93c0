#include <doctest/doctest.h>

#include <cstdint>

#include "base/device.h"
#include "base/error.h"
#include "tensor/shape.h"
#include "tensor/tensor.h"

using namespace heatmark;

TEST_CASE("tensor: shapes: element count, negative indexing, text, and invalid dimensions") {
  const Shape s{2, 3, 4, 5};
  CHECK(s.ndim() == 4);
  CHECK(s.numel() == 120);
  CHECK(s[-1] == 5);
  CHECK(s[0] == 2);
  CHECK(s.str() == "(2, 3, 4, 5)");
  CHECK(Shape{}.numel() == 1);
  CHECK(Shape{}.str() == "()");
  CHECK_THROWS_AS(s[4], Error);
  CHECK_THROWS_WITH_AS(Shape({2, -1}), doctest::Contains("non-negative"), Error);
  CHECK_THROWS_WITH_AS(Shape({int64_t(1) << 40, int64_t(1) << 40}), doctest::Contains("overflows"), Error);
}

TEST_CASE("tensor: devices: parsing and names") {
  CHECK(Device::parse("cpu") == Device::cpu());
  CHECK(Device::parse("cuda") == Device::cuda(0));
  CHECK(Device::parse("cuda:2").index == 2);
  CHECK(Device::cuda(1).str() == "cuda:1");
  CHECK_THROWS_WITH_AS(Device::parse("tpu"), doctest::Contains("unknown device 'tpu'"), Error);
  CHECK_THROWS_AS(Device::parse("cuda:x"), Error);
  CHECK_THROWS_AS(Device::parse("cuda:-1"), Error);
}

TEST_CASE("tensor: creation, values, and 64-byte aligned storage") {
  Tensor z = Tensor::zeros({3, 5});
  CHECK(z.numel() == 15);
  for (float v : z.to_vector()) CHECK(v == 0.0f);
  Tensor f = Tensor::full({7}, 2.5f);
  for (float v : f.to_vector()) CHECK(v == 2.5f);
  Tensor v = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(v.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(Tensor::scalar(4.0f).item() == 4.0f);
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t = Tensor::empty({n});
    CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
  }
  CHECK_THROWS_WITH_AS(Tensor::from_vector({1, 2, 3}, {2, 2}), doctest::Contains("3 values for shape (2, 2)"), Error);
  CHECK_THROWS_WITH_AS(Tensor().shape(), doctest::Contains("undefined tensor"), Error);
}

TEST_CASE("tensor: reshape and narrow are views that share storage") {
  Tensor t = Tensor::from_vector({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {4, 3});
  Tensor r = t.reshape({2, -1});
  CHECK(r.shape() == Shape{2, 6});
  CHECK(r.data() == t.data());
  Tensor rows = t.narrow(1, 2);
  CHECK(rows.shape() == Shape{2, 3});
  CHECK(rows.to_vector() == std::vector<float>{3, 4, 5, 6, 7, 8});
  rows.fill(-1.0f);  // writes through to t
  CHECK(t.to_vector()[3] == -1.0f);
  CHECK(t.to_vector()[9] == 9.0f);
  CHECK(t.narrow(4, 0).numel() == 0);
}

TEST_CASE("tensor: shape errors name the tensor and both shapes") {
  Tensor t = Tensor::zeros({4, 3});
  t.set_name("features");
  CHECK_THROWS_WITH_AS(t.reshape({5, 2}), doctest::Contains("'features' of shape (4, 3) (12 elements) cannot be viewed as (5, 2)"),
                       Error);
  CHECK_THROWS_WITH_AS(t.reshape({-1, -1}), doctest::Contains("only one dimension may be -1"), Error);
  CHECK_THROWS_WITH_AS(t.narrow(3, 2), doctest::Contains("rows [3, 5) are outside dimension 0 of 'features'"), Error);
  CHECK_THROWS_WITH_AS(t.item(), doctest::Contains("'features' has shape (4, 3)"), Error);
}

TEST_CASE("tensor: clone is deep, detach shares data without history") {
  Tensor a = Tensor::from_vector({1, 2, 3}, {3});
  Tensor c = a.clone();
  Tensor d = a.detach();
  a.fill(7.0f);
  CHECK(c.to_vector() == std::vector<float>{1, 2, 3});
  CHECK(d.to_vector() == std::vector<float>{7, 7, 7});
  CHECK(a.to(Device::cpu()).data() == a.data());
}

TEST_CASE("tensor: a device that cannot be used gives an error naming it") {
  CHECK_THROWS_WITH_AS(Tensor::zeros({2}, Device::cuda(3)), doctest::Contains("cuda:3"), Error);
}
