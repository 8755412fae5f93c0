// Philox4x32-10: a counter-based random number generator (Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
//
// A (counter, key) pair maps to four independent 32-bit words, with no state
// to carry. Element i of a random tensor uses counter (offset + i / 4, stream)
// and takes word i % 4, so any thread on any device computes any element on
// its own, and a seed gives the same bits on the CPU and the GPU.
//
// Header-only and usable in CUDA device code.
#pragma once

#include <cstdint>

#include "base/host_device.h"

namespace heatmark {

struct Philox4x32 {
  uint32_t v[4];
};

HM_HOST_DEVICE inline void philox_mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t product = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(product >> 32);
  lo = static_cast<uint32_t>(product);
}

// Ten rounds of Philox4x32 on counter c with key k.
HM_HOST_DEVICE inline Philox4x32 philox4x32_10(Philox4x32 c, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {  // the key schedule bumps the key before rounds 2..10
      k0 += kWeyl0;
      k1 += kWeyl1;
    }
    uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(kMul0, c.v[0], hi0, lo0);
    philox_mulhilo(kMul1, c.v[2], hi1, lo1);
    c = {{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
  }
  return c;
}

// The four words for block `block` of stream `stream` under `seed`.
HM_HOST_DEVICE inline Philox4x32 philox_block(uint64_t seed, uint64_t block, uint64_t stream) {
  const Philox4x32 counter{{static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                            static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)}};
  return philox4x32_10(counter, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// A 32-bit word to a float uniform in (0, 1): the top 24 bits, centred in their
// interval, so 0 and 1 never occur (safe for log in Box-Muller).
HM_HOST_DEVICE inline float philox_uniform(uint32_t word) {
  return (static_cast<float>(word >> 8) + 0.5f) * (1.0f / 16777216.0f);
}

}  // namespace heatmark
