#pragma once
// Helpers shared by the run-time tests (included, not compiled on its own).

#include <cstddef>
#include <type_traits>

namespace smup_test {

/// Returns a copy made through volatile storage, so the optimiser cannot fold a
/// constexpr call that uses it: these tests are about the run-time path.
template <class T> T at_run_time(T const& value) {
  static_assert(std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>);
  unsigned char volatile bytes[sizeof(T)];
  auto const* src = reinterpret_cast<unsigned char const*>(&value);
  for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = src[i];
  T out;
  auto* dst = reinterpret_cast<unsigned char*>(&out);
  for (std::size_t i = 0; i < sizeof(T); ++i) dst[i] = bytes[i];
  return out;
}

} // namespace smup_test
