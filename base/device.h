// Device: where a tensor's memory lives and which kernels run on it.
//   CPU  - host memory, CPU reference kernels (OpenMP + OpenBLAS).
//   CUDA - GPU memory, hand-written CUDA kernels or cuDNN/cuBLAS.
//   Emu  - host memory, the hand-written CUDA kernels run by the CPU SIMT
//          emulator (cuda/sim): how kernels are tested without a GPU.
#pragma once

#include <string>
#include <string_view>

namespace heatmark {

enum class DeviceType { CPU, CUDA, Emu };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  static Device emu() { return {DeviceType::Emu, 0}; }
  // Parses "cpu", "cuda", "cuda:1" or "emu"; throws heatmark::Error on anything else.
  static Device parse(std::string_view text);

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool is_emu() const { return type == DeviceType::Emu; }
  bool operator==(const Device&) const = default;

  // "cpu", "cuda:0", "emu"
  std::string str() const;
};

}  // namespace heatmark
