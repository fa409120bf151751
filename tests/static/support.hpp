#pragma once
// Helpers shared by the static_assert suites (included, not compiled on its own).

#include <type_traits>

namespace smup_static_test {

/// True when calling an F (a captureless lambda's type) is a constant expression, i.e.
/// no rule inside it is broken. A broken rule reaches a non-constexpr function, so the
/// concept is false rather than a hard error, and a suite can assert that bad input is
/// rejected. Suites pass decltype([] { ... }): nvcc's host pass cannot carry a lambda
/// object as a template argument, its type it can.
template <class F>
concept constant_evaluable = requires {
  typename std::bool_constant<((void)F{}(), true)>;
};

constexpr double abs_of(double x) { return x < 0 ? -x : x; }
/// Equal within a relative tolerance (1e-15 is a few ulp), for irrational values (sqrt 2).
constexpr bool close(double got, double want, double rel = 1e-15) {
  return abs_of(got - want) <= rel * abs_of(want);
}

} // namespace smup_static_test
