// Dense baseline for every sparse kernel: Y[out][batch] = W[out][in] · X[in][batch] in
// float32, in smup's layout (feature-major, batch contiguous: LayoutRight), through
// KokkosBlas::gemm, which hands it to the BLAS library when Kokkos Kernels has one.
#include <cstdint>

#include <KokkosBlas3_gemm.hpp>
#include <Kokkos_Core.hpp>
#include <Kokkos_Random.hpp>
#include <benchmark/benchmark.h>

namespace {

void dense_gemm(benchmark::State& state) {
  auto const out = static_cast<std::int64_t>(state.range(0));
  auto const in = static_cast<std::int64_t>(state.range(1));
  auto const batch = static_cast<std::int64_t>(state.range(2));

  using Matrix = Kokkos::View<float**, Kokkos::LayoutRight>;
  Matrix const w("w", out, in);
  Matrix const x("x", in, batch);
  Matrix const y("y", out, batch);
  Kokkos::Random_XorShift64_Pool<Kokkos::DefaultExecutionSpace> pool(7);
  Kokkos::fill_random(w, pool, -1.0f, 1.0f);
  Kokkos::fill_random(x, pool, -1.0f, 1.0f);
  Kokkos::fence();

  for (auto _ : state) {
    KokkosBlas::gemm("N", "N", 1.0f, w, x, 0.0f, y);
    Kokkos::fence(); // asynchronous backends: time the work, not the launch
  }

  double const flops = 2.0 * static_cast<double>(out * in * batch);
  double const bytes = sizeof(float) * static_cast<double>(out * in + in * batch + out * batch);
  state.counters["FLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes/s"] =
      benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(dense_gemm)
    ->ArgNames({"out", "in", "batch"})
    ->Args({1024, 1024, 256})
    ->Args({4096, 4096, 256})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace
