// The float CPU transposed convolution, through the adjoint relation with
// conv2d (ConvTranspose2dShape::as_conv): the transposed convolution's
// forward is that convolution's data gradient, its data gradient is that
// convolution's forward, and its weight gradient is that convolution's
// weight gradient with the roles of input and output gradient swapped. So
// the direct convolution of conv2d_direct.cpp serves all three.
#include "tensor/cpu/conv2d.h"
#include "tensor/cpu/conv_transpose2d.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

void conv_transpose2d_forward_direct(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                                   float* y) {
  conv2d_backward_data_direct(s.as_conv(), x, w, y);
  if (!b) return;
  const int64_t pixels = s.OH * s.OW;
  parallel_items(s.N * s.C_out, [&](int64_t plane) {
    float* yp = y + plane * pixels;
    const float bias = b[plane % s.C_out];
    for (int64_t i = 0; i < pixels; ++i) yp[i] += bias;
  });
}

void conv_transpose2d_backward_data_direct(const ConvTranspose2dShape& s, const float* gy, const float* w, float* gx) {
  conv2d_forward_direct(s.as_conv(), gy, w, nullptr, gx);
}

void conv_transpose2d_backward_weight_direct(const ConvTranspose2dShape& s, const float* x, const float* gy, float* gw) {
  conv2d_backward_weight_direct(s.as_conv(), gy, x, gw);
}

}  // namespace heatmark::cpu
