// Runs one planted memory bug under the emulator, for the sanitizer build's
// tests: the process is expected to be stopped by AddressSanitizer (dynamic
// shared memory) or UndefinedBehaviorSanitizer (a static __shared__ array).
//   usage: sim_planted_bug dynamic-shared-overflow | static-shared-overflow
#include <cstdio>
#include <string>
#include <vector>

#include "tests/cuda/sim/test_kernels.h"

int main(int argc, char** argv) {
  const std::string bug = argc > 1 ? argv[1] : "";
  std::vector<float> y(64);
  if (bug == "dynamic-shared-overflow") {
    heatmark::emu::sim_test::dynamic_shared_overflow(y.data(), 32);
  } else if (bug == "static-shared-overflow") {
    heatmark::emu::sim_test::static_shared_overflow(y.data());
  } else {
    std::fprintf(stderr, "usage: %s dynamic-shared-overflow | static-shared-overflow\n", argv[0]);
    return 2;
  }
  std::puts("the planted bug ran to completion undetected");
  return 0;
}
