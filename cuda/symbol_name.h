// The demangled name of a function from its address, for naming kernels in
// messages ("heatmark::emu::relu_forward_kernel(float const*, float*, long)").
// Uses the dynamic symbol table, so executables link with -rdynamic (CMake
// ENABLE_EXPORTS); falls back to "function@0x..." when the name is unknown.
#pragma once

#include <string>

namespace heatmark {

std::string function_name(const void* address);

}  // namespace heatmark
