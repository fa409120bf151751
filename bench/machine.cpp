// The machine's limits, measured by the same binary at the same thread count as the
// kernels: the peak FMA rate (register-only vector FMAs, no memory traffic), the L2 read
// bandwidth (each thread re-reads a buffer that fits its L2) and the DRAM bandwidth (a
// STREAM triad on arrays far larger than L3). Each thread runs its own copy.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#include "suite.hpp"

namespace smup_bench {

namespace {

// The widest FMA the build targets (-march=native in the release preset); any other
// target (generic x86-64, NEON, a device compiler's host pass) gets four-lane arrays that
// the compiler maps to what it has, the width smup's portable host paths use.
#if defined(__AVX512F__)
using Vec = __m512;
constexpr int lanes = 16;
inline Vec broadcast(float v) { return _mm512_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec load(float const* p) { return _mm512_load_ps(p); }
inline void store(float* p, Vec v) { _mm512_store_ps(p, v); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int lanes = 8;
inline Vec broadcast(float v) { return _mm256_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec load(float const* p) { return _mm256_load_ps(p); }
inline void store(float* p, Vec v) { _mm256_store_ps(p, v); }
#else
struct Vec {
  float v[4];
};
constexpr int lanes = 4;
inline Vec broadcast(float x) { return {{x, x, x, x}}; }
inline Vec fma(Vec a, Vec b, Vec c) {
  for (int i = 0; i < lanes; ++i) c.v[i] += a.v[i] * b.v[i];
  return c;
}
inline Vec add(Vec a, Vec b) {
  for (int i = 0; i < lanes; ++i) a.v[i] += b.v[i];
  return a;
}
inline Vec load(float const* p) { return {{p[0], p[1], p[2], p[3]}}; }
inline void store(float* p, Vec v) {
  for (int i = 0; i < lanes; ++i) p[i] = v.v[i];
}
#endif

// Not _mm512_reduce_add_ps: GCC 12 warns inside it (-Wuninitialized, a false positive).
float sum(Vec v) {
  alignas(64) float lane[lanes];
  store(lane, v);
  float s = 0;
  for (float x : lane) s += x;
  return s;
}

// Independent chains: enough to cover the FMA latency times the FMA ports of any x86.
constexpr int chains = 16;
constexpr std::int64_t fma_rounds = 1 << 20;

float fma_chains(float seed) {
  Vec acc[chains];
  for (int c = 0; c < chains; ++c) acc[c] = broadcast(seed + float(c));
  Vec const a = broadcast(0.999999f), b = broadcast(1e-6f);
  for (std::int64_t r = 0; r < fma_rounds; ++r)
    for (int c = 0; c < chains; ++c) acc[c] = fma(acc[c], a, b);
  Vec total = acc[0];
  for (int c = 1; c < chains; ++c) total = add(total, acc[c]);
  return sum(total);
}

// Per thread: half of a 1 MiB L2, so the buffer stays resident while it is re-read.
constexpr std::size_t l2_floats = (512 * 1024) / sizeof(float);
constexpr int l2_passes = 64;

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float, AlignedFree>;
Buffer aligned_floats(std::size_t n) {
  return Buffer(static_cast<float*>(std::aligned_alloc(64, n * sizeof(float))));
}

float l2_read(float const* data) {
  constexpr int acc_count = 8;
  Vec acc[acc_count];
  for (auto& a : acc) a = broadcast(0.0f);
  for (int pass = 0; pass < l2_passes; ++pass)
    for (std::size_t i = 0; i < l2_floats; i += acc_count * lanes)
      for (int k = 0; k < acc_count; ++k) acc[k] = add(acc[k], load(data + i + k * lanes));
  Vec total = acc[0];
  for (int k = 1; k < acc_count; ++k) total = add(total, acc[k]);
  return sum(total);
}

using Host = Kokkos::DefaultHostExecutionSpace;

// One index per thread: OpenMP's static schedule gives each thread one.
template <class Body> void per_thread(Body const& body) {
  int const threads = Host().concurrency();
  Kokkos::parallel_for("smup_bench::per_thread", Kokkos::RangePolicy<Host>(0, threads), body);
  Kokkos::fence();
}

void peak_fma(benchmark::State& state) {
  int const threads = Host().concurrency();
  Kokkos::View<float*, Kokkos::HostSpace> sink("sink", threads);
  for (auto _ : state) per_thread([=](int t) { sink(t) = fma_chains(float(t)); });
  benchmark::DoNotOptimize(sink.data());
  double const flops = double(threads) * double(fma_rounds) * chains * lanes * 2.0;
  state.counters["FLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

void l2_bandwidth(benchmark::State& state) {
  int const threads = Host().concurrency();
  Kokkos::View<float*, Kokkos::HostSpace> sink("sink", threads);
  // Each thread allocates and first-touches its own buffer.
  std::vector<Buffer> buffers(static_cast<std::size_t>(threads));
  per_thread([&](int t) {
    buffers[std::size_t(t)] = aligned_floats(l2_floats);
    std::memset(buffers[std::size_t(t)].get(), 0, l2_floats * sizeof(float));
  });
  for (auto _ : state) per_thread([&](int t) { sink(t) = l2_read(buffers[std::size_t(t)].get()); });
  benchmark::DoNotOptimize(sink.data());
  double const bytes = double(threads) * l2_passes * double(l2_floats) * sizeof(float);
  state.counters["bytes/s"] =
      benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

void dram_triad(benchmark::State& state) {
  // 3 x 128 MiB, far beyond the 32 MiB L3; touched first by the threads that use them.
  constexpr std::size_t n = std::size_t(1) << 25;
  Kokkos::View<float*, Kokkos::HostSpace> a(Kokkos::ViewAllocateWithoutInitializing("a"), n),
      b(Kokkos::ViewAllocateWithoutInitializing("b"), n),
      c(Kokkos::ViewAllocateWithoutInitializing("c"), n);
  Kokkos::parallel_for("smup_bench::triad_init", Kokkos::RangePolicy<Host>(0, n),
                       [=](std::size_t i) {
                         a(i) = 0.0f;
                         b(i) = 1.0f;
                         c(i) = 2.0f;
                       });
  Kokkos::fence();
  float const s = 0.5f;
  for (auto _ : state) {
    Kokkos::parallel_for("smup_bench::triad", Kokkos::RangePolicy<Host>(0, n),
                         [=](std::size_t i) { a(i) = b(i) + s * c(i); });
    Kokkos::fence();
  }
  // STREAM's convention: two arrays read, one written, write-allocate traffic not counted.
  double const bytes = 3.0 * double(n) * sizeof(float);
  state.counters["bytes/s"] =
      benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

} // namespace

std::string device_name() {
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (std::is_same_v<Kokkos::DefaultExecutionSpace, Kokkos::Cuda>)
    return Kokkos::Cuda().cuda_device_prop().name;
#endif
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
      return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

void register_machine() {
  add_probe({"peak_fma", "GFLOP/s"}, peak_fma);
  add_probe({"l2_read", "GB/s"}, l2_bandwidth);
  add_probe({"dram_triad", "GB/s"}, dram_triad);
}

} // namespace smup_bench
