#pragma once
/// Residual connections on [features][columns] activations: out = a + b, and the
/// gradient accumulation the backward pass of a residual branch needs.
///
///     smup::residual_add(x, branch, h);     // h = x + branch (h may alias x or branch)
///     smup::accumulate(d_x, d_branch_in);   // d_x += d_branch_in

#include <smup/layers/activations.hpp>

namespace smup {

template <class A, class B, class Out> void residual_add(A const& a, B const& b, Out const& out) {
  detail::check_same_extents("residual_add", a, b);
  detail::check_same_extents("residual_add", a, out);
  detail::for_each_entry(
      "smup::residual_add", out,
      KOKKOS_LAMBDA(std::int64_t i, std::int64_t c) { out(i, c) = a(i, c) + b(i, c); });
}

/// into += from.
template <class Into, class From> void accumulate(Into const& into, From const& from) {
  detail::check_same_extents("accumulate", into, from);
  detail::for_each_entry(
      "smup::accumulate", into,
      KOKKOS_LAMBDA(std::int64_t i, std::int64_t c) { into(i, c) += from(i, c); });
}

} // namespace smup
