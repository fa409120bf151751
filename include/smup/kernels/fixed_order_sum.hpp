#pragma once
// A sum whose order of additions depends on the number of terms alone. Kokkos'
// parallel_reduce gives each thread a share of the range, so the last bits of its result
// change with OMP_NUM_THREADS; the loss a model reports and the gradient norm that
// clipping divides by go through this instead, so a run gives the same bits on 1 thread,
// 2 threads or a GPU of any size.
#include <cstdint>
#include <string>

#include <Kokkos_Core.hpp>

namespace smup::detail {

/// Terms per chunk: each chunk is added up in order by one thread, then the chunks' sums
/// are added up the same way, until one is left.
inline constexpr std::int64_t fixed_order_chunk = 256;

/// The sum over k in [0, n) of term(k) (a device callable returning double), in double.
/// Blocks until the sum is on the host.
template <class E, class Term>
double fixed_order_sum(std::string const& label, std::int64_t n, Term const& term) {
  using Sums = Kokkos::View<double*, typename E::memory_space>;
  constexpr std::int64_t chunk = fixed_order_chunk;
  if (n <= 0) return 0.0;
  std::int64_t count = (n + chunk - 1) / chunk;
  Sums sums(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), count);
  Kokkos::parallel_for(
      label, Kokkos::RangePolicy<E>(0, count), KOKKOS_LAMBDA(std::int64_t c) {
        std::int64_t const end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
        double s = 0.0;
        for (std::int64_t k = c * chunk; k < end; ++k) s += term(k);
        sums(c) = s;
      });
  while (count > 1) {
    std::int64_t const terms = count;
    count = (terms + chunk - 1) / chunk;
    Sums const in = sums;
    Sums out(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), count);
    Kokkos::parallel_for(
        label, Kokkos::RangePolicy<E>(0, count), KOKKOS_LAMBDA(std::int64_t c) {
          std::int64_t const end = (c + 1) * chunk < terms ? (c + 1) * chunk : terms;
          double s = 0.0;
          for (std::int64_t k = c * chunk; k < end; ++k) s += in(k);
          out(c) = s;
        });
    sums = out;
  }
  double total = 0.0;
  Kokkos::deep_copy(total, Kokkos::subview(sums, 0));
  return total;
}

} // namespace smup::detail
