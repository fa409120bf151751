// The host SIMD layer the CPU kernels share, and the predicate that picks the host path:
// vector widths follow the target, vector operations match scalar arithmetic at every
// width the target supports, and device spaces never take the host path.

#include <smup/kernels/formats.hpp>
#include <smup/kernels/host_path.hpp>
#include <smup/kernels/host_simd.hpp>

#include <Kokkos_Core.hpp>

#include <cmath>
#include <type_traits>

#include "catch.hpp"

namespace {

template <class Pattern, class E> constexpr bool takes_host_kernels =
    std::is_same_v<smup::detail::Kernels<Pattern, E>, smup::detail::HostKernels<Pattern>>;

// Host spaces take the host path exactly where host SIMD code exists; device spaces
// never do, not even with memory the host can reach (CUDA UVM).
static_assert(smup::detail::use_host_path<Kokkos::DefaultHostExecutionSpace> ==
              (SMUP_HOST_SIMD != 0));
static_assert(takes_host_kernels<smup::NM<2, 4>, Kokkos::DefaultHostExecutionSpace> ==
              (SMUP_HOST_SIMD != 0));
static_assert(takes_host_kernels<smup::Unstructured, Kokkos::DefaultHostExecutionSpace> ==
              (SMUP_HOST_SIMD != 0));
static_assert(takes_host_kernels<smup::Block<4, 4>, Kokkos::DefaultHostExecutionSpace> ==
              (SMUP_HOST_SIMD != 0));
#if defined(KOKKOS_ENABLE_SERIAL)
static_assert(smup::detail::use_host_path<Kokkos::Serial> == (SMUP_HOST_SIMD != 0));
#endif
#if defined(KOKKOS_ENABLE_CUDA)
static_assert(!smup::detail::use_host_path<Kokkos::Cuda>);
static_assert(!takes_host_kernels<smup::Block<4, 4>, Kokkos::Cuda>);
#endif
#if defined(KOKKOS_ENABLE_HIP)
static_assert(!smup::detail::use_host_path<Kokkos::HIP>);
#endif

} // namespace

#if SMUP_HOST_SIMD

namespace {

#if defined(__AVX512F__)
static_assert(SMUP_HOST_SIMD_BYTES == 64);
#elif defined(__AVX__)
static_assert(SMUP_HOST_SIMD_BYTES == 32);
#else
static_assert(SMUP_HOST_SIMD_BYTES == 16);
#endif
static_assert(smup::detail::HostSimd<float>::lanes * 4 == SMUP_HOST_SIMD_BYTES);
static_assert(smup::detail::HostSimd<double>::lanes * 8 == SMUP_HOST_SIMD_BYTES);

/// load, store, splat, fma and sum of one width against the same arithmetic in scalars.
template <class Scalar, int Bytes> void check_vector_operations() {
  using V = smup::detail::HostSimd<Scalar, Bytes>;
  CAPTURE(sizeof(Scalar), Bytes);
  Scalar a[V::lanes], b[V::lanes], c[V::lanes], out[V::lanes + 1];
  for (int i = 0; i < V::lanes; ++i) {
    a[i] = Scalar(0.5) + Scalar(i);
    b[i] = Scalar(2) - Scalar(0.25) * Scalar(i);
    c[i] = Scalar(i * i) / Scalar(8);
  }
  out[V::lanes] = Scalar(-1); // a store must not write past its vector
  V::store(out, V::fma(V::load(a), V::load(b), V::load(c)));
  bool fma_matches = true;
  Scalar sum = 0;
  for (int i = 0; i < V::lanes; ++i) {
    fma_matches = fma_matches && out[i] == std::fma(a[i], b[i], c[i]);
    sum += out[i];
  }
  CHECK(fma_matches);
  CHECK(out[V::lanes] == Scalar(-1));
  // Exact, with or without FMA: every value and product is a short binary fraction.
  CHECK(V::sum(V::load(out)) == sum);
  V::store(out, V::splat(Scalar(-0.75)));
  bool splat_matches = true;
  for (int i = 0; i < V::lanes; ++i) splat_matches = splat_matches && out[i] == Scalar(-0.75);
  CHECK(splat_matches);
}

/// nm_reduce8 at one width: eight vectors in, their eight sums out, stored or added.
template <class Scalar, int Bytes> void check_reduce8() {
  using V = smup::detail::HostSimd<Scalar, Bytes>;
  CAPTURE(sizeof(Scalar), Bytes);
  typename V::type vectors[8];
  Scalar expected[8];
  for (int v = 0; v < 8; ++v) {
    Scalar lanes[V::lanes];
    expected[v] = 0;
    for (int i = 0; i < V::lanes; ++i) {
      lanes[i] = Scalar(v * 100 + i + 1); // every lane distinct: a swapped lane shows
      expected[v] += lanes[i];
    }
    vectors[v] = V::load(lanes);
  }
  Scalar out[8];
  smup::detail::nm_reduce8<Scalar, Bytes>(vectors, out, /*first=*/true);
  bool stored = true;
  for (int v = 0; v < 8; ++v) stored = stored && out[v] == expected[v];
  CHECK(stored);
  smup::detail::nm_reduce8<Scalar, Bytes>(vectors, out, /*first=*/false);
  bool added = true;
  for (int v = 0; v < 8; ++v) added = added && out[v] == 2 * expected[v];
  CHECK(added);
}

// Every width up to the target's: wider vectors than the target's are never built.
template <class Scalar> void check_every_width() {
  check_vector_operations<Scalar, 16>();
  check_reduce8<Scalar, 16>();
  if constexpr (SMUP_HOST_SIMD_BYTES >= 32) {
    check_vector_operations<Scalar, 32>();
    check_reduce8<Scalar, 32>();
  }
  if constexpr (SMUP_HOST_SIMD_BYTES >= 64) {
    check_vector_operations<Scalar, 64>();
    check_reduce8<Scalar, 64>();
  }
}

} // namespace

TEST_CASE("Host SIMD operations match scalar arithmetic at every width the target has",
          "[kernels][simd]") {
  check_every_width<float>();
  check_every_width<double>();
}

#endif // SMUP_HOST_SIMD
