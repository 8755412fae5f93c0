// The CPU SIMT emulator on its own: correct kernels give correct results
// under every schedule, and planted bugs are caught with messages that name
// the kernel, block, thread and source line.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "cuda/kernels/launchers.h"
#include "cuda/sim/runtime.h"
#include "tensor/cpu/matmul.h"
#include "tests/cuda/sim/test_kernels.h"

using namespace heatmark;
using sim::Schedule;

namespace {

// Restores the forward schedule when a test ends.
struct ScheduleGuard {
  explicit ScheduleGuard(Schedule s, uint64_t seed = 7) { sim::set_schedule(s, seed); }
  ~ScheduleGuard() { sim::set_schedule(Schedule::Forward); }
};

const Schedule kSchedules[] = {Schedule::Forward, Schedule::Reverse, Schedule::Random};

const char* schedule_name(Schedule s) {
  return s == Schedule::Forward ? "forward" : s == Schedule::Reverse ? "reverse" : "random";
}

std::vector<float> iota_values(size_t n, float start = 1.0f) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

// Runs `body` and returns the KernelFault message it raised ("" if none).
template <typename Body>
std::string fault_of(Body&& body) {
  try {
    body();
  } catch (const sim::KernelFault& fault) {
    return fault.what();
  }
  return "";
}

}  // namespace

TEST_CASE("emulator: a tiled shared-memory SGEMM is correct under every schedule") {
  const int64_t M = 37, K = 29, N = 41;  // not multiples of the 16x16 tile
  std::vector<float> a(M * K), b(K * N), y(M * N);
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::sin(0.37f * i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = std::cos(0.11f * i);
  std::vector<double> ad(a.begin(), a.end()), bd(b.begin(), b.end()), expected(M * N);
  cpu::matmul_forward(ad.data(), bd.data(), expected.data(), M, K, N);
  for (Schedule s : kSchedules) {
    ScheduleGuard guard(s);
    std::fill(y.begin(), y.end(), NAN);
    emu::matmul_forward(a.data(), b.data(), y.data(), M, K, N, nullptr);
    double worst = 0;
    for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::abs(y[i] - expected[i]));
    INFO("schedule ", schedule_name(s));
    CHECK(worst < 1e-4);
  }
}

TEST_CASE("emulator: a warp-shuffle block reduction is correct under every schedule") {
  for (int64_t n : {1, 255, 256, 8192, 8193, 50000}) {
    const std::vector<float> x = iota_values(n, 1.0f);
    std::vector<float> workspace(emu::sum_workspace_floats(n)), out(1);
    for (Schedule s : kSchedules) {
      ScheduleGuard guard(s);
      emu::sum_forward(x.data(), n, 1.0f, workspace.data(), out.data(), nullptr);
      INFO("n = ", n, ", schedule ", schedule_name(s));
      CHECK(out[0] == doctest::Approx(double(n) * (n + 1) / 2).epsilon(1e-6));
    }
  }
}

TEST_CASE("emulator: dynamic shared memory works and is private to each block") {
  const int block = 64;
  const std::vector<float> x = iota_values(block * 5);
  std::vector<float> y(x.size());
  for (Schedule s : kSchedules) {
    ScheduleGuard guard(s);
    emu::sim_test::reverse_in_block(x.data(), y.data(), static_cast<int64_t>(x.size()), block);
    for (int b = 0; b < 5; ++b)
      for (int t = 0; t < block; ++t) CHECK(y[b * block + t] == x[b * block + block - 1 - t]);
  }
}

TEST_CASE("emulator: warp shuffles, votes and atomics follow CUDA semantics") {
  const int64_t n = 96;
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = (i % 7 == 3) ? -1.0f - i : 1.0f + i;  // some negatives
  for (int64_t i = 64; i < 96; ++i) x[i] = 2.0f;  // the third warp is all positive

  std::vector<float> sums(n);
  emu::sim_test::warp_xor_sum(x.data(), sums.data(), n);
  for (int64_t w = 0; w < n / 32; ++w) {
    const float expected = std::accumulate(x.begin() + w * 32, x.begin() + (w + 1) * 32, 0.0f);
    for (int l = 0; l < 32; ++l) CHECK(sums[w * 32 + l] == doctest::Approx(expected));
  }

  std::vector<unsigned> ballot(n);
  std::vector<int> any(n), all(n);
  emu::sim_test::warp_votes(x.data(), ballot.data(), any.data(), all.data(), n);
  for (int64_t w = 0; w < n / 32; ++w) {
    unsigned expected = 0;
    for (int l = 0; l < 32; ++l) expected |= (x[w * 32 + l] > 0 ? 1u : 0u) << l;
    CHECK(ballot[w * 32 + 7] == expected);
    CHECK(any[w * 32] == (expected != 0));
    CHECK(all[w * 32] == (expected == 0xffffffffu));
  }
  CHECK(all[64] == 1);

  for (int width : {32, 16, 8}) {
    std::vector<float> index(n), up(n), down(n);
    emu::sim_test::warp_shuffles(x.data(), index.data(), up.data(), down.data(), n, width);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t lane = i % 32, segment = i - lane % width;  // first element of the segment
      const int64_t in_segment = lane % width;
      INFO("width ", width, ", element ", i);
      CHECK(index[i] == x[segment + (in_segment + 3) % width]);
      CHECK(up[i] == (in_segment >= 1 ? x[i - 1] : x[i]));
      CHECK(down[i] == (in_segment + 2 < width ? x[i + 2] : x[i]));
    }
  }

  float total = 0;
  int max_index = -1;
  emu::sim_test::atomics(&total, &max_index, 100000);  // 782 blocks on several OS threads
  CHECK(total == 100000.0f);
  CHECK(max_index == 99999);
}

TEST_CASE("emulator: a missing barrier gives wrong results under the reverse and random schedules") {
  const int block = 128;
  const std::vector<float> x = iota_values(block * 4);
  auto correct = [&](const std::vector<float>& y) {
    for (size_t i = 0; i < y.size(); ++i)
      if (y[i] != (i % block == 0 ? 0.0f : x[i - 1])) return false;
    return true;
  };
  std::vector<float> y(x.size());
  for (Schedule s : kSchedules) {
    ScheduleGuard guard(s);
    INFO("schedule ", schedule_name(s));
    emu::sim_test::shift_in_block(x.data(), y.data(), static_cast<int64_t>(x.size()), block, /*with_barrier=*/true);
    CHECK(correct(y));
    emu::sim_test::shift_in_block(x.data(), y.data(), static_cast<int64_t>(x.size()), block, /*with_barrier=*/false);
    // Forward order runs each writer before its reader, hiding the race; the
    // other orders expose it (the reader sees the NaN-filled fresh buffer).
    CHECK(correct(y) == (s == Schedule::Forward));
  }
}

TEST_CASE("emulator: a divergent __syncthreads is reported with kernel, block, thread and line") {
  std::vector<float> y(64);
  const std::string message = fault_of([&] { emu::sim_test::divergent_barrier(y.data(), 32); });
  INFO(message);
  CHECK(message.find("divergent __syncthreads") != std::string::npos);
  CHECK(message.find("divergent_barrier_kernel") != std::string::npos);
  CHECK(message.find("block (0, 0, 0)") != std::string::npos);
  CHECK(message.find("thread (16, 0, 0) exited") != std::string::npos);
  CHECK(message.find("test_kernels.cu:") != std::string::npos);

  const std::string early = fault_of([&] { emu::sim_test::early_exit_before_barrier(y.data(), 64); });
  INFO(early);
  CHECK(early.find("divergent __syncthreads") != std::string::npos);
  CHECK(early.find("thread (20, 0, 0) exited without reaching the barrier") != std::string::npos);
  CHECK(early.find("20 other threads wait") != std::string::npos);
}

TEST_CASE("emulator: warp-mask misuse and deadlocks are reported") {
  std::vector<float> y(32);
  const std::string excluded = fault_of([&] { emu::sim_test::shuffle_mask_excludes_caller(y.data()); });
  INFO(excluded);
  CHECK(excluded.find("warp-mask misuse") != std::string::npos);
  CHECK(excluded.find("thread (16, 0, 0)") != std::string::npos);
  CHECK(excluded.find("does not include the calling lane") != std::string::npos);
  CHECK(excluded.find("shuffle_mask_excludes_caller_kernel") != std::string::npos);

  const std::string exited = fault_of([&] { emu::sim_test::shuffle_with_exited_lanes(y.data()); });
  INFO(exited);
  CHECK(exited.find("warp-mask misuse") != std::string::npos);
  CHECK(exited.find("lane 16 (thread (16, 0, 0)) named in the mask has exited") != std::string::npos);

  const std::string deadlock = fault_of([&] { emu::sim_test::shuffle_waits_for_barrier(y.data()); });
  INFO(deadlock);
  CHECK(deadlock.find("deadlock") != std::string::npos);
  CHECK(deadlock.find("waits at __syncthreads") != std::string::npos);
  CHECK(deadlock.find("__shfl_down_sync(mask 0xffffffff)") != std::string::npos);
}

TEST_CASE("emulator: launches a GPU would refuse are refused") {
  std::vector<float> y(2048);
  const std::string message = fault_of([&] { emu::sim_test::divergent_barrier(y.data(), 2048); });
  INFO(message);
  CHECK(message.find("more than 1024 threads per block") != std::string::npos);
  CHECK(message.find("divergent_barrier_kernel") != std::string::npos);

  // A kernel that assumes full warps (a full-mask shuffle) in blocks of 48 threads.
  const std::vector<float> x = iota_values(96);
  std::vector<float> sums(96);
  const std::string partial = fault_of([&] { emu::sim_test::warp_xor_sum_in_blocks_of(x.data(), sums.data(), 96, 48); });
  INFO(partial);
  CHECK(partial.find("warp_xor_sum_kernel") != std::string::npos);
  CHECK(partial.find("mask 0xffffffff names lanes 0xffff0000 that do not exist (the block has 48 threads)") !=
        std::string::npos);
}

TEST_CASE("emulator: after a fault the emulator keeps working") {
  std::vector<float> y(32);
  CHECK_FALSE(fault_of([&] { emu::sim_test::shuffle_with_exited_lanes(y.data()); }).empty());
  const std::vector<float> x = iota_values(64);
  std::vector<float> r(64);
  emu::sim_test::reverse_in_block(x.data(), r.data(), 64, 32);
  CHECK(r[0] == x[31]);
  CHECK(r[63] == x[32]);
}
