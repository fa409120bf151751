#pragma once
/// smup::error and the checking helpers behind every rule the library enforces.
///
/// A rule is checked by `detail::require<SMUP_DIAG_X>(condition)`. In a constant
/// expression a broken rule is a compile error whose text contains the full
/// diagnostic (the message is a template argument of the function that fails to
/// be constexpr); at run time the same text is thrown as smup::error.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace smup {

/// Thrown when a rule is broken at run time; what() is the diagnostic text.
class error : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {

/// A string literal usable as a template argument, so the compiler prints it.
template <std::size_t N> struct message {
  char text[N]{};
  constexpr message(char const (&literal)[N]) {
    for (std::size_t i = 0; i < N; ++i) text[i] = literal[i];
  }
  constexpr message() = default;
  static constexpr std::size_t size = N;
};

/// Not constexpr on purpose: reaching it during constant evaluation is the error.
template <message Text> [[noreturn]] void rule_broken() { throw smup::error(Text.text); }

template <message Text> constexpr void require(bool rule_holds) {
  if (!rule_holds) rule_broken<Text>();
}

/// Run-time only: for messages that carry values known only at run time.
[[noreturn]] inline void fail(std::string const& text) { throw smup::error(text); }

} // namespace detail
} // namespace smup
