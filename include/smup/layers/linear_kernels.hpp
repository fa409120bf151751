#pragma once
/// The elementwise kernels of smup::Linear, as free functions so that every backend's
/// compiler accepts them (device lambdas may not live in private members):
///
///     smup::detail::bias_gradient<E>(dy, db);   // db(i) = sum over the batch of dy(i, k)
///     smup::detail::scale_values<E>(v, 0.5f);   // v(k) *= 0.5 for a rank-1 view
///     smup::detail::scale_add_bias<E>(y, 2.0f, b); // y(i, k) = 2 y(i, k) + b(i)
///
/// Sums run in a fixed order without atomics, so the same inputs give the same bits.

#include <cstdint>

#include <Kokkos_Core.hpp>

#include <smup/kernels/host_path.hpp>
#include <smup/kernels/views.hpp>

namespace smup::detail {

/// Rows whose sums one host work item runs side by side.
inline constexpr std::int64_t bias_gradient_rows = 8;

/// db(i) = sum over the batch of dy(i, k). On the host each row is summed in order (the
/// batch is contiguous), 8 rows side by side so that 8 independent additions hide each
/// one's latency; elsewhere a team per row reduces it, its threads reading neighbouring
/// batch entries.
template <class E, class Scalar>
void bias_gradient(Activations<Scalar, E> const& dy, WeightValues<Scalar, E> const& db) {
  auto const rows = static_cast<std::int64_t>(dy.extent(0));
  auto const batch = static_cast<std::int64_t>(dy.extent(1));
  if constexpr (executes_on_host<E>) {
    constexpr std::int64_t group = bias_gradient_rows;
    Kokkos::parallel_for(
        "smup::bias_gradient", Kokkos::RangePolicy<E>(0, (rows + group - 1) / group),
        KOKKOS_LAMBDA(std::int64_t g) {
          std::int64_t const i0 = g * group;
          if (i0 + group <= rows) {
            Scalar sum[group] = {};
            for (std::int64_t k = 0; k < batch; ++k)
              for (std::int64_t r = 0; r < group; ++r) sum[r] += dy(i0 + r, k);
            for (std::int64_t r = 0; r < group; ++r) db(i0 + r) = sum[r];
            return;
          }
          for (std::int64_t i = i0; i < rows; ++i) {
            Scalar sum = 0;
            for (std::int64_t k = 0; k < batch; ++k) sum += dy(i, k);
            db(i) = sum;
          }
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

/// y(i, k) = multiplier * y(i, k) + b(i) (b empty: + 0), the epilogue of a layer's
/// product. Host threads take whole rows, each one loop over contiguous entries; a device
/// gets every entry as its own work item.
template <class E, class Scalar> void scale_add_bias(Activations<Scalar, E> const& y,
                                                     Scalar multiplier,
                                                     WeightValues<Scalar, E> const& b) {
  auto const rows = static_cast<std::int64_t>(y.extent(0));
  auto const cols = static_cast<std::int64_t>(y.extent(1));
  bool const has_bias = b.extent(0) != 0;
  if constexpr (executes_on_host<E>) {
    Kokkos::parallel_for(
        "smup::Linear::forward_epilogue", Kokkos::RangePolicy<E>(0, rows),
        KOKKOS_LAMBDA(std::int64_t i) {
          Scalar const bias = has_bias ? b(i) : Scalar(0);
          Scalar* const row = &y(i, 0);
          for (std::int64_t k = 0; k < cols; ++k) row[k] = multiplier * row[k] + bias;
        });
  } else {
    Kokkos::parallel_for(
        "smup::Linear::forward_epilogue",
        Kokkos::MDRangePolicy<E, Kokkos::Rank<2>>({0, 0}, {rows, cols}),
        KOKKOS_LAMBDA(std::int64_t i, std::int64_t k) {
          y(i, k) = multiplier * y(i, k) + (has_bias ? b(i) : Scalar(0));
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
