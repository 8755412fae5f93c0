// Choosing the micro-kernel variant (see tile_kernels.h).
#include "tensor/cpu/tile_kernels.h"

#include <cstdlib>

#include "base/error.h"

namespace heatmark::cpu {

namespace {
const TileKernels& best_variant() {
  if (const TileKernels* k = avx512_tile_kernels()) return *k;
  if (const TileKernels* k = avx2_tile_kernels()) return *k;
  return portable_tile_kernels();
}
}  // namespace

const TileKernels& tile_kernels_named(const std::string& name) {
  const TileKernels* k = nullptr;
  if (name == "avx512")
    k = avx512_tile_kernels();
  else if (name == "avx2")
    k = avx2_tile_kernels();
  else if (name == "portable")
    k = &portable_tile_kernels();
  else
    fail("unknown CPU kernel variant '{}' (expected avx512, avx2 or portable)", name);
  HM_CHECK(k, "CPU kernel variant '{}' needs an instruction set this CPU lacks (its best is {})", name,
           best_variant().name);
  return *k;
}

const TileKernels& tile_kernels() {
  static const TileKernels& chosen = [] () -> const TileKernels& {
    const char* forced = std::getenv("HEATMARK_CPU_KERNELS");
    if (!forced || !*forced) return best_variant();
    try {
      return tile_kernels_named(forced);
    } catch (const Error& e) {
      fail("HEATMARK_CPU_KERNELS={}: {}", forced, e.what());
    }
  }();
  return chosen;
}

}  // namespace heatmark::cpu
