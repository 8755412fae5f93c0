// The launchers of every hand-written kernel, declared once per backend:
// heatmark::emu (the kernels compiled against the CPU SIMT emulator, always
// built) and heatmark::cuda (the same kernels compiled by nvcc, when CUDA is
// built in). Op dispatch (tensor/dispatch/) calls these.
#pragma once

#include <cstdint>

#include "base/op_shapes.h"

namespace heatmark::emu {
#include "cuda/kernels/launchers.inc"
}  // namespace heatmark::emu

// The same kernels with address instrumentation, for the memory model
// (cuda/sim/memory_model.h).
#if HEATMARK_HAS_MEMORY_MODEL
namespace heatmark::emu_traced {
#include "cuda/kernels/launchers.inc"
}  // namespace heatmark::emu_traced
#endif

#if HEATMARK_HAS_CUDA
namespace heatmark::cuda {
#include "cuda/kernels/launchers.inc"
}  // namespace heatmark::cuda
#endif
