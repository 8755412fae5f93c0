// Kernels that test the emulator's memory model (memory_model_kernels.cu):
// one access pattern each, planted so that the model must report it on its
// line. Each launcher runs one block of 32 * warps threads on device
// (emulated) memory and returns the source line of its planted access.
#pragma once

#include <cstdint>

namespace heatmark::emu_traced::memory_test {

// y[i] = x[i]: every warp request touches 4 sectors, the fewest possible.
int coalesced_copy(const float* x, float* y, int warps);
// y[i] = x[32 * i]: a load whose lanes each touch a sector of their own.
int strided_load(const float* x, float* y, int warps);
// y[32 * i] = x[i]: the same for a store.
int strided_store(const float* x, float* y, int warps);
// y[i] = x[0]: every lane reads one word (a broadcast, one sector).
int broadcast_load(const float* x, float* y, int warps);
// A shared tile written down a column, tile[lane][0] of float[32][32]: the
// 32 lanes hit one bank (a 32-way conflict). With `padded`, float[32][33]:
// one lane per bank.
int column_store_to_shared(const float* x, float* y, bool padded);
// Touches all of a 52 KiB static __shared__ array: over the 48 KiB a block
// may use, so the launch must be refused.
void static_shared_over_the_limit(float* y);
// Asks for `bytes` of dynamic shared memory, after opting in to `opt_in`
// bytes first when opt_in > 0; returns false when cudaFuncSetAttribute refused.
bool dynamic_shared(float* y, int bytes, int opt_in);

}  // namespace heatmark::emu_traced::memory_test
