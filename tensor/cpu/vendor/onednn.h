// oneDNN, the CPU's vendor baseline: with --kernels vendor on the CPU,
// conv2d (and conv_transpose2d, through the adjoint convolution
// ConvTranspose2dShape::as_conv) runs oneDNN's convolution primitives instead
// of the hand-written lowering onto sgemm. Every other CPU op stays
// hand-written (tensor/kernels.h).
//
// The library is loaded at run time (dlopen; heatmark never links it):
// libdnnl.so.<major> of the headers this build was compiled with, then
// libdnnl.so, or the file named by HEATMARK_ONEDNN_LIBRARY. A build made
// without oneDNN's headers has these functions too; they say so.
//
// Same contracts as the CPU kernels of tensor/cpu/conv2d.h: NCHW float
// tensors, OIHW weights, symmetric zero padding, one stride; the data
// gradient is written (=), the weight gradient accumulates (+=).
#pragma once

#include <cstddef>
#include <string>

#include "base/op_shapes.h"

namespace heatmark::onednn {

// True when this build was compiled with oneDNN's headers (libdnnl-dev).
bool built_in();
// "oneDNN 2.6.3 (OpenMP)": loads the library on first use, or throws a
// one-line heatmark::Error naming it, what was tried and what to install.
// Commands call it up front when --kernels vendor is asked for on the CPU.
std::string version();
// One line for --version: the version, or why oneDNN is not available.
std::string report();

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y);
void conv2d_backward_data(const Conv2dShape& s, const float* gy, const float* w, float* gx);
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* gy, float* gw);  // +=

// The transposed convolution through its adjoint convolution
// (ConvTranspose2dShape::as_conv), as the hand-written CPU path does
// (tensor/cpu/conv_transpose2d_gemm.cpp). Same contracts as
// tensor/cpu/conv_transpose2d.h: weights (C_in, C_out, kH, kW).
void conv_transpose2d_forward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                              float* y);
void conv_transpose2d_backward_data(const ConvTranspose2dShape& s, const float* gy, const float* w, float* gx);
void conv_transpose2d_backward_weight(const ConvTranspose2dShape& s, const float* x, const float* gy,
                                      float* gw);  // +=

// How many convolution plans (primitive descriptors, primitives and their
// reorders, one per direction, shape and thread count) are cached so far.
size_t cached_plans();

}  // namespace heatmark::onednn
