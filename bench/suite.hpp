#pragma once
// The benchmark suite's shared machinery: what each registered benchmark measures (so
// main can turn the runs into kernels.csv), the subjects' shapes and densities, and one
// timed loop that every weight format goes through.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include <Kokkos_Core.hpp>
#include <benchmark/benchmark.h>

#include <smup/core/ratio.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>
#include <smup/sparsity/concepts.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup_bench {

using Space = Kokkos::DefaultExecutionSpace;
using Scalar = float;

/// The kernels timed; `step` is all three, as one training step of a layer runs them.
enum class Op { forward, backward_data, weight_gradient, step };
char const* op_name(Op op);
inline constexpr Op all_ops[] = {Op::forward, Op::backward_data, Op::weight_gradient, Op::step};

/// One CSV row's identity. `pattern` names the format ("dense", "nm2:4", "kokkos_spmv").
struct Subject {
  Op op = Op::forward;
  std::string pattern;
  std::int64_t out = 0, in = 0, batch = 0;
  smup::ratio density{1};
};

/// What a machine probe measured, for machine.csv.
struct Probe {
  std::string name;
  std::string unit; // "GFLOP/s" or "GB/s"
};

/// The subjects: float32, batch 256, square weights, densities 1/2 ... 1/64.
inline constexpr std::int64_t batch = 256;
inline constexpr std::int64_t sizes[] = {1024, 4096};

/// Also the rectangular layers of a transformer's MLP (up 3072 x 768, down 768 x 3072) at
/// batch 512, where backward-data and forward walk very different fan-ins: each pattern
/// once, at a density near 1/10 its shape allows.
struct Shape {
  std::int64_t out = 0, in = 0;
};
inline constexpr std::int64_t rectangular_batch = 512;
inline constexpr Shape rectangular_shapes[] = {{3072, 768}, {768, 3072}};
inline std::vector<smup::ratio> densities() {
  return {smup::ratio{1, 2},  smup::ratio{1, 4},  smup::ratio{1, 8},
          smup::ratio{1, 16}, smup::ratio{1, 32}, smup::ratio{1, 64}};
}

/// One training step of a whole model (forward, loss, backward, optimizer), for
/// models.csv; its benchmark sets the counters values_bytes, index_bytes and state_bytes.
struct ModelSubject {
  std::string model; // "mlp", "gpt"
  std::string pattern;
  std::int64_t width = 0;
  int hidden_layers = 0;  ///< hidden layers of an MLP, blocks of a GPT
  std::int64_t batch = 0; ///< images of an MLP step, tokens of a GPT step
  smup::ratio density{1};
};

/// Registers `fn` under `name` as a kernel subject (real time, milliseconds).
benchmark::internal::Benchmark* add_kernel(Subject const& subject,
                                           std::function<void(benchmark::State&)> fn);
/// Registers a model subject.
benchmark::internal::Benchmark* add_model(ModelSubject const& subject,
                                          std::function<void(benchmark::State&)> fn);
/// Registers a machine probe.
benchmark::internal::Benchmark* add_probe(Probe const& probe,
                                          std::function<void(benchmark::State&)> fn);

/// The storage a format needs for one matrix, with 2 optimizer states (Adam), for memory.csv;
/// recorded once per (pattern, shape, density).
void record_memory(std::string const& pattern, std::int64_t out, std::int64_t in,
                   smup::ratio density, smup::StorageBytes const& bytes);

/// Looked up by main after the run.
struct Registry {
  std::vector<std::pair<std::string, Subject>> kernels; // benchmark name -> subject
  std::vector<std::pair<std::string, ModelSubject>> models;
  std::vector<std::pair<std::string, Probe>> probes;
  struct Memory {
    std::string pattern;
    std::int64_t out, in;
    smup::ratio density;
    smup::StorageBytes bytes;
  };
  std::vector<Memory> memory;
};
Registry& registry();

/// Deterministic values in [-1, 1), filled in parallel on the device.
template <class View> void fill(View const& v, std::uint64_t seed) {
  auto const n = v.span();
  auto* const data = v.data();
  Kokkos::parallel_for(
      "smup_bench::fill", Kokkos::RangePolicy<typename View::execution_space>(0, n),
      KOKKOS_LAMBDA(std::size_t i) {
        data[i] =
            static_cast<typename View::value_type>(2.0 * smup::detail::uniform01(seed, i, 0) - 1.0);
      });
  Kokkos::fence();
}

/// Names the weights of one subject; subjects with the same key share one matrix.
inline std::string weights_key(std::string const& pattern, std::int64_t out, std::int64_t in,
                               smup::ratio density) {
  return pattern + "/" + std::to_string(out) + "x" + std::to_string(in) + "/" +
         std::to_string(density.num) + "_" + std::to_string(density.den);
}

/// One slot for the whole suite: the weights of the subject being measured, built (mask,
/// compressed format) once and reused by every op and by Google Benchmark's repeated calls.
/// The next subject frees them, so at most one large matrix is alive.
inline std::string cached_key;
inline std::shared_ptr<void> cached;

template <class Weights, class Make>
Weights& cached_weights(std::string const& key, Make const& make) {
  std::string const typed_key = key + "/" + typeid(Weights).name();
  if (cached_key != typed_key || !cached) {
    cached.reset(); // free the previous matrix before building the next one
    cached_key.clear();
    auto w = std::make_shared<Weights>(make());
    fill(w->values(), 5);
    cached = w;
    cached_key = typed_key;
  }
  return *static_cast<Weights*>(cached.get());
}

/// The timed loop for any weights with the three kernels: fence inside, 2 kept batch FLOPs
/// per kernel.
template <class Weights>
void time_op(benchmark::State& state, Op op, Weights const& w, std::int64_t columns) {
  smup::Activations<Scalar, Space> const x("x", w.cols(), columns), y("y", w.rows(), columns);
  smup::Activations<Scalar, Space> const dy("dy", w.rows(), columns), dx("dx", w.cols(), columns);
  smup::WeightValues<Scalar, Space> const dw("dw", w.kept());
  fill(x, 1);
  fill(dy, 2);
  // Unqualified: found by argument-dependent lookup in smup at instantiation, so each
  // pattern's header may come after this one.
  auto const run = [&] {
    if (op == Op::forward || op == Op::step) forward(w, x, y);
    if (op == Op::backward_data || op == Op::step) backward_data(w, dy, dx);
    if (op == Op::weight_gradient || op == Op::step) weight_gradient(w, dy, x, dw);
  };
  run(); // warm caches and lazily allocated library buffers, untimed
  Kokkos::fence();
  for (auto _ : state) {
    run();
    Kokkos::fence(); // asynchronous backends: time the work, not the launch
  }
  double const kernels = op == Op::step ? 3.0 : 1.0;
  double const flops = kernels * 2.0 * double(w.kept()) * double(columns);
  state.counters["FLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["kept"] = double(w.kept());
}

/// Registers the four ops of one pattern at one shape and density; `make` builds the weights.
template <class Weights, class Make> void add_pattern(std::string const& pattern, std::int64_t out,
                                                      std::int64_t in, smup::ratio density,
                                                      Make make, std::int64_t columns = batch) {
  std::string const key = weights_key(pattern, out, in, density);
  for (Op const op : all_ops) {
    add_kernel(Subject{op, pattern, out, in, columns, density}, [=](benchmark::State& state) {
      auto& w = cached_weights<Weights>(key, make);
      record_memory(pattern, out, in, density, smup::storage_bytes(w, 2));
      time_op(state, op, w, columns);
    });
  }
}

// Each file registers its subjects; a pattern whose kernels are not built registers none.
void register_dense();
void register_csr();
void register_nm();
void register_bsr();
void register_models();
void register_gpt();
void register_machine();
/// What the default execution space runs on: the GPU's name for CUDA, else the CPU model.
std::string device_name();

/// Runs the registered benchmarks with the console display, then writes kernels.csv,
/// models.csv and machine.csv (appended: one run per thread count) and memory.csv under
/// `csv_dir` when it is not empty. Returns the number of benchmarks that failed.
int run_and_report(std::string const& csv_dir);

} // namespace smup_bench
