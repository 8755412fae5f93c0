// The oneDNN interface of a build compiled without oneDNN's headers: every
// entry point says so (tensor/cpu/vendor/onednn.h).
#include "tensor/cpu/vendor/onednn.h"

#include "base/error.h"

namespace heatmark::onednn {

namespace {
[[noreturn]] void unavailable() {
  fail("--kernels vendor on the CPU: this build has no oneDNN support: rebuild with libdnnl-dev installed "
       "(apt-get install libdnnl-dev), or use --kernels handwritten");
}
}  // namespace

bool built_in() { return false; }
std::string version() { unavailable(); }
std::string report() { return "oneDNN not built in (rebuild with libdnnl-dev installed)"; }

void conv2d_forward(const Conv2dShape&, const float*, const float*, const float*, float*) { unavailable(); }
void conv2d_backward_data(const Conv2dShape&, const float*, const float*, float*) { unavailable(); }
void conv2d_backward_weight(const Conv2dShape&, const float*, const float*, float*) { unavailable(); }
size_t cached_plans() { return 0; }

}  // namespace heatmark::onednn
