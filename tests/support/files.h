// Small helpers for tests that write input files and check the errors that
// reading them gives.
#pragma once

#include <doctest/doctest.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include "base/error.h"

namespace heatmark::testing {

// Writes `bytes` to `path`, creating its folders.
inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// The message of the heatmark::Error that `f` throws; "(no error)" when it
// throws none, and a marked message for any other exception.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("(not a heatmark::Error) ") + e.what();
  }
  return "(no error)";
}

}  // namespace heatmark::testing

// `expr` throws one heatmark::Error of one line that contains every part.
#define CHECK_ERROR(expr, ...)                                                                  \
  do {                                                                                          \
    const std::string message_ = ::heatmark::testing::error_of([&] { (void)(expr); });          \
    INFO("error: ", message_);                                                                  \
    CHECK(message_.rfind("(no", 0) != 0);                                                       \
    CHECK(message_.find('\n') == std::string::npos);                                            \
    for (const std::string& part_ : std::initializer_list<std::string>{__VA_ARGS__})            \
      CHECK_MESSAGE(message_.find(part_) != std::string::npos, "expected: ", part_);            \
  } while (0)
