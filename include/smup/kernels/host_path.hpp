#pragma once
/// Which kernels run: the host path (register-tiled SIMD code launched through Kokkos on
/// E's threads) or the generic team kernels. One predicate for every storage format:
/// the host path needs host threads, host memory and host SIMD code. Host-accessible
/// memory is not enough: with CUDA UVM a host lambda would be launched on a GPU policy.
///
///     smup::detail::Kernels<smup::NM<2, 4>, E>::forward(w, x, y);

#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/kernels/generic.hpp>
#include <smup/kernels/host_simd.hpp>

namespace smup::detail {

/// E's kernels can dereference host pointers: host backends (Serial, OpenMP, Threads).
template <class E> inline constexpr bool executes_on_host =
    Kokkos::SpaceAccessibility<E, Kokkos::HostSpace>::accessible;

/// E's memory is host memory itself ("assignable" to HostSpace), not device memory the
/// host may also reach: CudaUVMSpace and unified-memory device spaces are accessible only.
template <class E> inline constexpr bool has_host_memory =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename E::memory_space>::assignable;

/// The host path runs on E: host threads, host memory, and host SIMD code compiled.
template <class E> inline constexpr bool use_host_path =
    executes_on_host<E>&& has_host_memory<E>&& SMUP_HOST_SIMD != 0;

/// The host kernels of pattern Pattern, with the members of GenericKernels (without a
/// team size). Each format's <format>/host.hpp specialises it where SMUP_HOST_SIMD is 1.
template <class Pattern> struct HostKernels;

/// The kernels that run for Pattern on E. Only the chosen one is ever instantiated, so a
/// format's HostKernels need not exist where the host path never runs.
template <class Pattern, class E> using Kernels =
    std::conditional_t<use_host_path<E>, HostKernels<Pattern>, GenericKernels<Pattern>>;

} // namespace smup::detail
