// The machine's single-precision FMA peak, measured: every thread runs a loop
// of independent vector FMAs (AVX-512 when the CPU has it, else AVX2) that
// keeps both FMA pipes busy. `heatmark bench ops` reports each kernel's
// GFLOP/s as a share of this figure.
#pragma once

namespace heatmark::cpu {

struct FmaPeak {
  double gflops = 0;       // all threads together
  int threads = 0;
  const char* isa = "";    // "AVX-512" or "AVX2"
};

// Takes about a tenth of a second.
FmaPeak measure_fma_peak(int threads);

}  // namespace heatmark::cpu
