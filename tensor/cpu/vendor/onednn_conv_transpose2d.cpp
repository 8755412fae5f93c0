// conv_transpose2d on oneDNN (tensor/cpu/vendor/onednn.h), through the
// adjoint relation with conv2d (ConvTranspose2dShape::as_conv), exactly as
// the hand-written CPU path does it: the transposed convolution's forward is
// that convolution's data gradient, its data gradient is that convolution's
// forward, and its weight gradient is that convolution's weight gradient
// with the roles of input and output gradient swapped. So the cached conv2d
// plans serve all three.
#include "tensor/cpu/vendor/onednn.h"
#include "tensor/parallel.h"

namespace heatmark::onednn {

void conv_transpose2d_forward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                              float* y) {
  conv2d_backward_data(s.as_conv(), x, w, y);
  if (!b) return;
  // A data gradient has no bias term: added here, one plane per item.
  const int64_t pixels = s.OH * s.OW;
  parallel_items(s.N * s.C_out, [&](int64_t plane) {
    float* yp = y + plane * pixels;
    const float bias = b[plane % s.C_out];
    for (int64_t i = 0; i < pixels; ++i) yp[i] += bias;
  });
}

void conv_transpose2d_backward_data(const ConvTranspose2dShape& s, const float* gy, const float* w, float* gx) {
  conv2d_forward(s.as_conv(), gy, w, nullptr, gx);
}

void conv_transpose2d_backward_weight(const ConvTranspose2dShape& s, const float* x, const float* gy, float* gw) {
  conv2d_backward_weight(s.as_conv(), gy, x, gw);
}

}  // namespace heatmark::onednn
