// For test cases with checks that only a CUDA GPU can run. Without one, such
// a check is not run, and the test case says so out loud ("NOT CHECKED", in
// doctest's output) instead of passing as if it had; with
// HEATMARK_REQUIRE_CUDA=1 (tools/gpu_check.sh sets it), a missing or unusable
// GPU fails the test case.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "cuda/info.h"

namespace heatmark::testing {

// True when GPU 0 can run `what`; otherwise reports it as not checked.
inline bool gpu_present_for(const std::string& what) {
  if (cuda::device_count() > 0) return true;
  if (cuda::cuda_required())
    FAIL("HEATMARK_REQUIRE_CUDA=1 but there is no GPU for " << what << ": " << cuda::device_summary());
  MESSAGE("NOT CHECKED: " << what << " needs a GPU (" << cuda::device_summary()
                          << "); with HEATMARK_REQUIRE_CUDA=1 this fails");
  return false;
}

}  // namespace heatmark::testing
