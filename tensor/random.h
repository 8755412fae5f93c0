// Random tensors from a seed, through Philox4x32-10 (tensor/philox.h).
//
// A Generator is a seed plus a running offset: each draw consumes a range of
// counters and advances the offset, so successive draws differ and a run is
// reproduced exactly from its seed (and resumed from its saved offset).
//
// Values are computed on the host and copied to the tensor's device, so CPU
// and GPU tensors drawn from the same generator state are bitwise identical.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace heatmark {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0, uint64_t offset = 0) : seed_(seed), offset_(offset) {}

  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }  // in 4-word Philox blocks
  void set_offset(uint64_t offset) { offset_ = offset; }

  // Reserves the blocks for `count` values and returns the first block index.
  uint64_t reserve(int64_t count);

 private:
  uint64_t seed_;
  uint64_t offset_;
};

// In-place initialisers (not recorded by autograd).
void uniform_(Tensor& t, Generator& gen, float low = 0.0f, float high = 1.0f);
void normal_(Tensor& t, Generator& gen, float mean = 0.0f, float stddev = 1.0f);
// He/Kaiming normal for a weight of shape (C_out, C_in, ...) feeding a ReLU:
// stddev = gain / sqrt(fan_in), fan_in = C_in * prod(kernel dims), gain = sqrt(2).
void kaiming_normal_(Tensor& t, Generator& gen, float gain = 1.41421356f);

}  // namespace heatmark
