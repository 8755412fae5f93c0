// Saving and loading raw tensors for debugging, in NumPy's .npy format
// (version 1.0, little-endian float32, C order), so they open directly with
// numpy.load in any analysis script.
#pragma once

#include <string>

#include "tensor/tensor.h"

namespace heatmark {

// Writes t (from any device) atomically to `path`.
void save_npy(const Tensor& t, const std::string& path);
// Reads a float32 .npy file into a CPU tensor. Malformed files give a
// heatmark::Error naming the file and the problem.
Tensor load_npy(const std::string& path);

}  // namespace heatmark
