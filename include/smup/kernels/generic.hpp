#pragma once
/// The generic path: every storage format's kernels as plain Kokkos team kernels, which
/// run on every backend (GPUs take them; host spaces take them where the host path
/// does not exist). Each format's <format>/device.hpp specialises GenericKernels:
///
///     smup::detail::GenericKernels<smup::NM<2, 4>>::forward(w, x, y);
///     smup::detail::GenericKernels<smup::NM<2, 4>>::forward(w, x, y, /*team_size=*/2);
///
/// team_size 0 lets Kokkos choose (Kokkos::AUTO). A fixed size exists for tests: on
/// OpenMP, AUTO means one thread per team, which never exercises intra-team concurrency.

#include <cstdint>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>

namespace smup::detail {

/// Static member functions forward, backward_data and weight_gradient for weights of
/// pattern Pattern, each with a trailing `int team_size = 0`.
template <class Pattern> struct GenericKernels;

/// Vector length of kernels whose innermost loop is a reduction along the batch: a warp
/// on CUDA, so that its threads read consecutive batch entries.
template <class E> int batch_vector_length() {
  int const most = Kokkos::TeamPolicy<E>::vector_length_max();
  return most < 32 ? most : 32;
}

/// Runs functor f with one team per league entry; f's operator() takes the team member.
/// A team size the space cannot run is an error, not Kokkos' abort.
template <class E, class F> void launch_teams(char const* label, std::int64_t league, int team_size,
                                              int vector_length, F const& f) {
  using Policy = Kokkos::TeamPolicy<E>;
  if (league == 0) return;
  if (team_size < 0)
    fail(std::string(label) + ": team size " + std::to_string(team_size) +
         " is negative. Pass 0 to let Kokkos choose, or a positive size.");
  if (team_size == 0) {
    Kokkos::parallel_for(label, Policy(static_cast<int>(league), Kokkos::AUTO, vector_length), f);
    return;
  }
  Policy const policy(static_cast<int>(league), 1, vector_length);
  int const most = policy.team_size_max(f, Kokkos::ParallelForTag{});
  if (team_size > most)
    fail(std::string(label) + ": team size " + std::to_string(team_size) + " exceeds the " +
         std::to_string(most) +
         " this execution space allows for the kernel. Pass 0 to let Kokkos choose.");
  Kokkos::parallel_for(label, Policy(static_cast<int>(league), team_size, vector_length), f);
}

} // namespace smup::detail
