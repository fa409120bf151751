#pragma once
/// The elementwise kernels of smup::Linear, as free functions so that every backend's
/// compiler accepts them (device lambdas may not live in private members):
///
///     smup::detail::bias_gradient<E>(dy, db);   // db(i) = sum over the batch of dy(i, k)
///     smup::detail::scale_values<E>(v, 0.5f);   // v(k) *= 0.5 for a rank-1 view
///
/// Sums run in a fixed order without atomics, so the same inputs give the same bits.

#include <cstdint>

#include <Kokkos_Core.hpp>

#include <smup/kernels/host_path.hpp>
#include <smup/kernels/views.hpp>

namespace smup::detail {

/// db(i) = sum over the batch of dy(i, k). On the host one thread sums a row in order
/// (the batch is contiguous); elsewhere a team per row reduces it, its threads reading
/// neighbouring batch entries.
template <class E, class Scalar>
void bias_gradient(Activations<Scalar, E> const& dy, WeightValues<Scalar, E> const& db) {
  auto const rows = static_cast<std::int64_t>(dy.extent(0));
  auto const batch = static_cast<std::int64_t>(dy.extent(1));
  if constexpr (executes_on_host<E>) {
    Kokkos::parallel_for(
        "smup::bias_gradient", Kokkos::RangePolicy<E>(0, rows), KOKKOS_LAMBDA(std::int64_t i) {
          Scalar sum = 0;
          for (std::int64_t k = 0; k < batch; ++k) sum += dy(i, k);
          db(i) = sum;
        });
  } else {
    using Team = typename Kokkos::TeamPolicy<E>::member_type;
    Kokkos::parallel_for(
        "smup::bias_gradient", Kokkos::TeamPolicy<E>(rows, Kokkos::AUTO),
        KOKKOS_LAMBDA(Team const& team) {
          auto const i = static_cast<std::int64_t>(team.league_rank());
          Scalar sum = 0;
          Kokkos::parallel_reduce(
              Kokkos::TeamThreadRange(team, batch),
              [&](std::int64_t k, Scalar& part) { part += dy(i, k); }, sum);
          Kokkos::single(Kokkos::PerTeam(team), [&] { db(i) = sum; });
        });
  }
}

/// v(k) *= factor for every entry of a rank-1 view (no launch when factor is 1).
template <class E, class V, class Scalar> void scale_values(V const& v, Scalar factor) {
  if (factor == Scalar(1)) return;
  Kokkos::parallel_for(
      "smup::scale_values", Kokkos::RangePolicy<E>(0, v.extent(0)),
      KOKKOS_LAMBDA(std::int64_t k) { v(k) *= factor; });
}

} // namespace smup::detail
