// Errors: one exception type, with messages that name what went wrong.
//
// Every check in the framework throws heatmark::Error with a one-line message
// that names the tensors, shapes, files or fields involved. Programs catch it
// at the top level, print it and exit non-zero.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace heatmark {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A device (GPU, emulator or host) ran out of memory: the trainer catches it
// to say which settings to lower.
class OutOfMemory : public Error {
 public:
  using Error::Error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace heatmark

// HM_CHECK(condition, "format {}", args...) throws heatmark::Error when the
// condition is false.
#define HM_CHECK(condition, ...)                   \
  do {                                             \
    if (!(condition)) ::heatmark::fail(__VA_ARGS__); \
  } while (0)
