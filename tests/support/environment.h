// An environment variable set (or unset) for one scope, and put back as it
// was when the scope ends: for tests of behaviour that a variable switches.
#pragma once

#include <stdlib.h>  // setenv, unsetenv

#include <optional>
#include <string>

namespace heatmark::testing {

class ScopedEnvironment {
 public:
  // `value` nullptr: the variable is unset for the scope.
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) previous_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnvironment() {
    if (previous_) ::setenv(name_.c_str(), previous_->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::string name_;
  std::optional<std::string> previous_;
};

}  // namespace heatmark::testing
