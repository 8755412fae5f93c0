// The vendor baselines: cuDNN for convolutions and batch norm, cuBLAS for
// matmul, selected at run time with --kernels vendor (tensor/kernels.h) on
// CUDA devices. They are a speed reference for the hand-written kernels and
// a fallback. The libraries are loaded on first use (dlopen), from where
// cuda_libraries.h says. A build made without their headers has these
// functions too; they say so (vendor_unavailable.cpp).
//
// Same contracts as the hand-written launchers (cuda/kernels/launchers.inc):
// buffers on the current device, work on the current stream, data gradients
// written, parameter gradients accumulated.
#pragma once

#include <cstddef>
#include <string>

#include "base/op_shapes.h"

namespace heatmark::vendor {

// True when this build was compiled with cuDNN's and cuBLAS's headers.
bool built_in();
// "cuDNN 9.x.y, cuBLAS 13.x.y"; loads both libraries, and throws
// heatmark::Error naming the first one that is missing and what to install.
// Needs no GPU. Commands call it up front when --kernels vendor is asked for.
std::string versions();
std::string cudnn_version();   // "cuDNN 9.x.y", or throws as versions() does
std::string cublas_version();  // "cuBLAS 13.x.y", or throws
// One line for --version: each library's version, or why it did not load.
std::string report();

// TF32 tensor cores for cuDNN convolutions and cuBLAS (default on, like
// PyTorch's cuDNN default); off gives plain fp32, as the parity tests use.
void set_allow_tf32(bool allow);
bool allow_tf32();

// How many times cuDNN's heuristics have been asked for a convolution
// algorithm. Each answer is kept, with the descriptors, for its direction,
// shape, device and TF32 setting (cudnn_ops.cpp): a second call with the
// same ones asks nothing.
size_t cudnn_algorithm_queries();

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y);
void conv2d_backward_data(const Conv2dShape& s, const float* gy, const float* w, float* gx);
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* gy, float* gw);  // +=
void conv2d_backward_bias(const Conv2dShape& s, const float* gy, float* gb);                     // +=
// y[n, c, p] += bias[c] for y (N, C, P).
void add_channel_bias(float* y, const float* bias, int64_t N, int64_t C, int64_t P);

void batch_norm2d_forward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                                float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var,
                                float momentum, float eps);
void batch_norm2d_forward_eval(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                               const float* running_mean, const float* running_var, float eps, float* y);
// Training-mode backward; ggamma, gbeta +=.
void batch_norm2d_backward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* save_mean,
                                 const float* save_invstd, const float* gy, float eps, float* gx, float* ggamma,
                                 float* gbeta);

// y (M, N) = a (M, K) b (K, N), row-major; ga, gb (either may be null) written.
void matmul_forward(const float* a, const float* b, float* y, int64_t M, int64_t K, int64_t N);
void matmul_backward(const float* a, const float* b, const float* gy, float* ga, float* gb, int64_t M, int64_t K,
                     int64_t N);

}  // namespace heatmark::vendor
