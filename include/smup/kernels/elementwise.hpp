#pragma once
/// Elementwise maps over [features][batch] activations: out(i, b) = op(a(i, b)) or
/// op(a(i, b), b(i, b)), on out's execution space. Host threads take whole rows and run
/// each row as one vectorised loop over raw pointers; a device gets every entry as its own
/// work item. out may be one of the inputs (each entry is read, then written, once).
///
///     smup::detail::map_entries("smup::GELU::forward", post, ActivationValue<GELU>{}, pre);

#include <cstdint>

#include <Kokkos_Core.hpp>

#include <smup/kernels/host_path.hpp>
#include <smup/kernels/unroll.hpp>

namespace smup::detail {

/// One row of map_entries on the host.
template <class T, class Op, class... In>
void map_row(T* out, std::int64_t n, Op const& op, In const*... in) {
  SMUP_SIMD
  for (std::int64_t b = 0; b < n; ++b) out[b] = op(in[b]...);
}

/// The device work items: functors, not lambdas, so no extended-lambda rule applies.
template <class Out, class Op, class A> struct MapEntries1 {
  Out out;
  Op op;
  A a;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t b) const {
    out(i, b) = op(a(i, b));
  }
};
template <class Out, class Op, class A, class B> struct MapEntries2 {
  Out out;
  Op op;
  A a;
  B b;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j) const {
    out(i, j) = op(a(i, j), b(i, j));
  }
};

template <class Out, class Op, class... In>
void map_entries(char const* label, Out const& out, Op const& op, In const&... in) {
  static_assert(sizeof...(In) == 1 || sizeof...(In) == 2, "map_entries takes one or two inputs");
  using E = typename Out::execution_space;
  auto const rows = static_cast<std::int64_t>(out.extent(0));
  auto const cols = static_cast<std::int64_t>(out.extent(1));
  if constexpr (executes_on_host<E>) {
    Kokkos::parallel_for(label, Kokkos::RangePolicy<E>(0, rows),
                         [=](std::int64_t i) { map_row(&out(i, 0), cols, op, &in(i, 0)...); });
  } else {
    Kokkos::MDRangePolicy<E, Kokkos::Rank<2>> const policy({0, 0}, {rows, cols});
    if constexpr (sizeof...(In) == 1)
      Kokkos::parallel_for(label, policy, MapEntries1<Out, Op, In...>{out, op, in...});
    else
      Kokkos::parallel_for(label, policy, MapEntries2<Out, Op, In...>{out, op, in...});
  }
}

} // namespace smup::detail
