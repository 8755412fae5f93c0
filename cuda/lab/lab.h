// The kernel lab: numbered versions of the hottest kernels, each with the
// idea it tries, validated against the CPU reference and timed side by side
// (in the spirit of llm.c's dev/cuda). The highest-numbered version of each
// family is the production kernel (cuda/kernels/), called through its
// launcher; the earlier ones live only here. See README.md for the results.
#pragma once

#include <cstdint>
#include <vector>

#include "base/op_shapes.h"
#include "cuda/kernels/launchers.h"

namespace heatmark::lab {

using StreamHandle = void*;

// conv2d forward without bias: y (N, C_out, OH, OW) written.
using Conv2dForward = void (*)(const Conv2dShape&, const float* x, const float* w, float* y, StreamHandle);
// conv2d weight gradient: gw += dL/dw; `workspace` holds workspace(s) floats.
using Conv2dBackwardWeight = void (*)(const Conv2dShape&, const float* x, const float* gy, float* gw,
                                      float* workspace, StreamHandle);
// batch_norm2d training forward: y written, batch mean and invstd saved (no running statistics).
using BatchNormForward = void (*)(const BatchNormShape&, const float* x, const float* gamma, const float* beta,
                                  float* y, float* mean, float* invstd, float eps, float* workspace, StreamHandle);
// batch_norm2d training backward: gx written, ggamma and gbeta +=.
using BatchNormBackward = void (*)(const BatchNormShape&, const float* x, const float* gamma, const float* mean,
                                   const float* invstd, const float* gy, float* gx, float* ggamma, float* gbeta,
                                   float* workspace, StreamHandle);

template <typename Launcher, typename Shape>
struct Version {
  int number;
  const char* name;
  const char* idea;  // one line: what this version tries
  Launcher launch;
  int64_t (*workspace_floats)(const Shape&);  // may be null
};

using Conv2dForwardVersion = Version<Conv2dForward, Conv2dShape>;
using Conv2dBackwardWeightVersion = Version<Conv2dBackwardWeight, Conv2dShape>;
using BatchNormForwardVersion = Version<BatchNormForward, BatchNormShape>;
using BatchNormBackwardVersion = Version<BatchNormBackward, BatchNormShape>;

}  // namespace heatmark::lab

// Each backend build of the lab kernels provides the version tables.
#define HM_DECLARE_LAB_VERSIONS                                                     \
  std::vector<::heatmark::lab::Conv2dForwardVersion> conv2d_forward_versions();        \
  std::vector<::heatmark::lab::Conv2dBackwardWeightVersion> conv2d_backward_weight_versions(); \
  std::vector<::heatmark::lab::BatchNormForwardVersion> batch_norm2d_forward_versions();  \
  std::vector<::heatmark::lab::BatchNormBackwardVersion> batch_norm2d_backward_versions();

namespace heatmark::emu::lab {
HM_DECLARE_LAB_VERSIONS
}
#if HEATMARK_HAS_MEMORY_MODEL
namespace heatmark::emu_traced::lab {
HM_DECLARE_LAB_VERSIONS
}
#endif
#if HEATMARK_HAS_CUDA
namespace heatmark::cuda::lab {
HM_DECLARE_LAB_VERSIONS
}
#endif
