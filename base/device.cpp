#include "base/device.h"

#include <charconv>

#include "base/error.h"

namespace heatmark {

Device Device::parse(std::string_view text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text == "emu") return emu();
  if (text.starts_with("cuda:")) {
    const std::string_view number = text.substr(5);
    int index = -1;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), index);
    if (ec == std::errc() && end == number.data() + number.size() && index >= 0) return cuda(index);
  }
  fail("unknown device '{}' (expected cpu, cuda, cuda:N or emu)", text);
}

std::string Device::str() const {
  switch (type) {
    case DeviceType::CPU: return "cpu";
    case DeviceType::CUDA: return "cuda:" + std::to_string(index);
    case DeviceType::Emu: return "emu";
  }
  return "?";
}

}  // namespace heatmark
