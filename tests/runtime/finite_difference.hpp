#pragma once
// Helpers for checking a backward pass against central finite differences of a scalar loss.
#include <cstddef>

#include <Kokkos_Core.hpp>

#include "kernel_reference.hpp"

namespace smup_test {

/// sum(a .* b) over two equally shaped [features][columns] views, on the host.
template <class View> double dot_host(View const& a, View const& b) {
  auto const ha = host_copy(a), hb = host_copy(b);
  double s = 0;
  for (std::size_t i = 0; i < ha.extent(0); ++i)
    for (std::size_t j = 0; j < ha.extent(1); ++j) s += ha(i, j) * hb(i, j);
  return s;
}

/// Perturbs entry k of `values` by `shift` and returns f(); restores it afterwards.
template <class Values, class F>
double with_shift(Values const& values, std::size_t k, double shift, F f) {
  auto h = host_copy(values);
  double const saved = h(k);
  h(k) = saved + shift;
  Kokkos::deep_copy(values, h);
  double const out = f();
  h(k) = saved;
  Kokkos::deep_copy(values, h);
  return out;
}

} // namespace smup_test
