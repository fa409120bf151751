#pragma once
/// Residual connections on [features][columns] activations: out = a + b, and the
/// gradient accumulation the backward pass of a residual branch needs.
///
///     smup::residual_add(x, branch, h);     // h = x + branch (h may alias x or branch)
///     smup::accumulate(d_x, d_branch_in);   // d_x += d_branch_in

#include <smup/layers/activations.hpp>

namespace smup {

namespace detail {
/// a + b, as map_entries' operation.
struct Sum {
  template <class T> KOKKOS_INLINE_FUNCTION T operator()(T a, T b) const { return a + b; }
};
} // namespace detail

template <class A, class B, class Out> void residual_add(A const& a, B const& b, Out const& out) {
  detail::check_same_extents("residual_add", a, b);
  detail::check_same_extents("residual_add", a, out);
  detail::map_entries("smup::residual_add", out, detail::Sum{}, a, b);
}

/// into += from.
template <class Into, class From> void accumulate(Into const& into, From const& from) {
  detail::check_same_extents("accumulate", into, from);
  detail::map_entries("smup::accumulate", into, detail::Sum{}, into, from);
}

} // namespace smup
