#pragma once
// The message of the smup::error a callable throws, for tests that check what a message
// says rather than that one was thrown.
#include <string>

#include <smup/core/error.hpp>

namespace smup_test {

template <class F> std::string error_text(F&& f) {
  try {
    f();
  } catch (smup::error const& e) {
    return e.what();
  }
  return "no smup::error was thrown";
}

} // namespace smup_test
