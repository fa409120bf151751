#pragma once
/// The view types every kernel speaks. Activations are feature-major with the
/// batch contiguous, [features][batch]: a sparse row then updates one contiguous
/// batch vector, which vectorises on CPUs and coalesces on GPUs.
///
///     smup::Activations<float, Kokkos::DefaultExecutionSpace> x("x", in, batch);

#include <Kokkos_Core.hpp>

namespace smup {

template <class Scalar, class ExecutionSpace>
using Activations = Kokkos::View<Scalar**, Kokkos::LayoutRight, typename ExecutionSpace::memory_space>;

/// Compressed per-weight arrays: values, gradients and optimizer state share this
/// layout, one entry per kept weight, so their memory scales with the density.
template <class Scalar, class ExecutionSpace>
using WeightValues = Kokkos::View<Scalar*, typename ExecutionSpace::memory_space>;

} // namespace smup
