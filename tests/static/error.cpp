// smup::error and detail::require: a rule that holds is free in a constant
// expression, a broken one is not a constant expression (and throws at run time).
#include <smup/core/error.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "support.hpp"

namespace {

using namespace smup_static_test;

// Callers can catch it as the standard exception for bad arguments.
static_assert(std::is_base_of_v<std::invalid_argument, smup::error>);
static_assert(std::is_base_of_v<std::exception, smup::error>);
static_assert(std::is_constructible_v<smup::error, std::string const&>);
static_assert(std::is_constructible_v<smup::error, char const*>);

// The message is a template argument, so the compiler prints it on failure.
constexpr smup::detail::message text{"smup::X: broken."};
static_assert(decltype(text)::size == 17);
static_assert(std::string_view{text.text} == "smup::X: broken.");

static_assert(
    constant_evaluable<decltype([] { smup::detail::require<"smup::X: broken.">(true); })>);
static_assert(
    !constant_evaluable<decltype([] { smup::detail::require<"smup::X: broken.">(false); })>);
// rule_broken is never constexpr: reaching it is the compile-time error. (nvcc's host pass
// loses the message of a [[noreturn]] call in such a lambda; its front end checks the rest.)
#if !defined(__CUDACC__)
static_assert(
    !constant_evaluable<decltype([] { smup::detail::rule_broken<"smup::X: broken.">(); })>);
#endif

} // namespace
