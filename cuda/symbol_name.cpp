#include "cuda/symbol_name.h"

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>
#include <memory>

#include <fmt/format.h>

namespace heatmark {

std::string function_name(const void* address) {
  Dl_info info{};
  if (::dladdr(address, &info) && info.dli_sname) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> demangled(
        abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status), &std::free);
    return status == 0 && demangled ? demangled.get() : info.dli_sname;
  }
  return fmt::format("function@{}", address);
}

}  // namespace heatmark
