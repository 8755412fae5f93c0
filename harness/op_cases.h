// The op families of the harness, one file per group of ops
// (op_cases_*.cpp), gathered in order by registry() (op_registry.cpp).
#pragma once

#include <vector>

#include "harness/op_harness.h"

namespace heatmark::harness {

std::vector<OpFamily> elementwise_families();  // add, mul, scale, relu, sum, mean, matmul
std::vector<OpFamily> layer_families();        // conv2d, batch_norm2d, upsampling, concat_channels, conv_transpose2d
// render_gaussian_heatmaps, crop_patches, soft_argmax, weighted_mse, weighted_l1
std::vector<OpFamily> landmark_families();
std::vector<OpFamily> optimizer_families();    // adam, adamw, sgd, gradient_norm

}  // namespace heatmark::harness
