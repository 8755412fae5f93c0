// CPU reference kernels: channel concatenation of NCHW tensors.
//
// concat(x_0, ..., x_m) along dim 1 is built from one primitive: copy a
// (N, C_src, HW) block into channels [offset, offset + C_src) of a
// (N, C_dst, HW) tensor. The backward is the same copy the other way
// (slice the gradient back out). Gradients are written (=).
#pragma once

#include <algorithm>
#include <cstdint>

#include "tensor/parallel.h"

namespace heatmark::cpu {

// dst[n, offset + c, :] = src[n, c, :]
template <typename T>
void concat_channels(const T* src, T* dst, int64_t N, int64_t C_src, int64_t C_dst, int64_t offset,
                     int64_t HW) {
  parallel_items(N, [&](int64_t n) {
    std::copy(src + n * C_src * HW, src + (n + 1) * C_src * HW, dst + (n * C_dst + offset) * HW);
  });
}

// dst[n, c, :] = src[n, offset + c, :]
template <typename T>
void slice_channels(const T* src, T* dst, int64_t N, int64_t C_src, int64_t C_dst, int64_t offset,
                    int64_t HW) {
  parallel_items(N, [&](int64_t n) {
    const T* s = src + (n * C_src + offset) * HW;
    std::copy(s, s + C_dst * HW, dst + n * C_dst * HW);
  });
}

}  // namespace heatmark::cpu
