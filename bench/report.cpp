// From Google Benchmark runs to the suite's CSV files: kernels.csv compares every kernel
// with the dense product and Kokkos Kernels' spmv measured in the same process, so the
// ratios share one machine state and one thread count.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "suite.hpp"

namespace smup_bench {

char const* op_name(Op op) {
  switch (op) {
  case Op::forward: return "forward";
  case Op::backward_data: return "backward_data";
  case Op::weight_gradient: return "weight_gradient";
  case Op::step: return "step";
  }
  return "?";
}

Registry& registry() {
  static Registry r;
  return r;
}

namespace {

std::string density_text(smup::ratio d) {
  return std::to_string(d.num) + "_" + std::to_string(d.den);
}

std::string format(char const* spec, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}

// The machine is shared: each subject runs 3 times and the CSV takes the fastest (for a
// probe, the highest rate), the run least disturbed by other work.
constexpr int repetitions = 3;
double min_of(std::vector<double> const& v) { return *std::min_element(v.begin(), v.end()); }
double max_of(std::vector<double> const& v) { return *std::max_element(v.begin(), v.end()); }

/// The display reporter, also keeping each subject's best run: seconds per iteration and
/// counters (from the "min" aggregate for kernels, "max" for probes; a single run as is).
class CollectingReporter : public benchmark::ConsoleReporter {
public:
  CollectingReporter() : benchmark::ConsoleReporter(OO_Tabular) {}

  struct Result {
    double seconds = 0; // real time per iteration
    std::map<std::string, double> counters;
  };
  std::map<std::string, Result> results;
  int failed = 0;

  void ReportRuns(std::vector<Run> const& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (auto const& run : runs) {
      if (run.error_occurred) {
        ++failed;
        continue;
      }
      bool const best = run.run_type == Run::RT_Aggregate &&
                        (run.aggregate_name == "min" || run.aggregate_name == "max");
      if (run.run_type == Run::RT_Aggregate && !best) continue;
      auto const name = run.run_name.function_name;
      if (!best && results.count(name) != 0) continue; // repetitions without aggregates
      Result r;
      r.seconds = run.real_accumulated_time / double(run.iterations);
      for (auto const& [counter, value] : run.counters) r.counters[counter] = value.value;
      results[name] = r;
    }
  }
};

int op_rank(Op op) { return static_cast<int>(op); }

void write_kernels(std::filesystem::path const& file, CollectingReporter const& reporter,
                   int threads) {
  struct Row {
    Subject s;
    double ms, gflops;
  };
  std::vector<Row> rows;
  for (auto const& [name, subject] : registry().kernels) {
    auto const found = reporter.results.find(name);
    if (found == reporter.results.end()) continue; // filtered out or failed
    // 2 FLOPs per kept weight and batch column, per kernel; a step runs three.
    auto const kept = found->second.counters.find("kept");
    double const kernels = subject.op == Op::step ? 3.0 : 1.0;
    double const flops = kept == found->second.counters.end()
                             ? 0.0
                             : kernels * 2.0 * kept->second * double(subject.batch);
    rows.push_back({subject, found->second.seconds * 1e3, flops / found->second.seconds / 1e9});
  }
  // Grouped by shape, then op, then density (dense first); patterns in registration order.
  std::stable_sort(rows.begin(), rows.end(), [](Row const& a, Row const& b) {
    return std::make_tuple(a.s.out, a.s.in, op_rank(a.s.op), b.s.density) <
           std::make_tuple(b.s.out, b.s.in, op_rank(b.s.op), a.s.density);
  });

  auto const baseline = [&](std::string const& pattern, Op op, Subject const& s,
                            bool same_density) -> std::optional<double> {
    for (auto const& r : rows)
      if (r.s.pattern == pattern && r.s.op == op && r.s.out == s.out && r.s.in == s.in &&
          r.s.batch == s.batch && (!same_density || r.s.density == s.density))
        return r.ms;
    return std::nullopt;
  };

  bool const fresh = !std::filesystem::exists(file) || std::filesystem::file_size(file) == 0;
  std::ofstream out(file, std::ios::app);
  if (fresh) out << "op,pattern,out,in,batch,density,threads,ms,gflops,vs_dense,vs_kokkos_spmv\n";
  for (auto const& r : rows) {
    std::string vs_dense, vs_spmv;
    if (auto const dense = baseline("dense", r.s.op, r.s, false)) {
      vs_dense = format("%.3f", *dense / r.ms);
    }
    // spmv runs on the Unstructured matrix of each density: the general sparse routine's
    // time for that many kept weights, set against every sparse format's forward.
    if (r.s.op == Op::forward && r.s.pattern != "dense" && r.s.pattern != "kokkos_spmv")
      if (auto const spmv = baseline("kokkos_spmv", Op::forward, r.s, true))
        vs_spmv = format("%.3f", *spmv / r.ms);
    out << op_name(r.s.op) << ',' << r.s.pattern << ',' << r.s.out << ',' << r.s.in << ','
        << r.s.batch << ',' << format("%g", r.s.density.to_double()) << ',' << threads << ','
        << format("%.4f", r.ms) << ',' << format("%.2f", r.gflops) << ',' << vs_dense << ','
        << vs_spmv << '\n';
  }
}

void write_models(std::filesystem::path const& file, CollectingReporter const& reporter,
                  int threads) {
  struct Row {
    ModelSubject s;
    double ms;
    smup::StorageBytes bytes;
  };
  std::vector<Row> rows;
  for (auto const& [name, subject] : registry().models) {
    auto const found = reporter.results.find(name);
    if (found == reporter.results.end()) continue;
    auto const counter = [&](char const* key) {
      auto const c = found->second.counters.find(key);
      return c == found->second.counters.end() ? std::size_t{0} : std::size_t(c->second);
    };
    rows.push_back({subject,
                    found->second.seconds * 1e3,
                    {counter("values_bytes"), counter("index_bytes"), counter("state_bytes")}});
  }
  bool const fresh = !std::filesystem::exists(file) || std::filesystem::file_size(file) == 0;
  std::ofstream out(file, std::ios::app);
  if (fresh)
    out << "model,pattern,width,hidden_layers,batch,density,threads,ms,vs_dense,values_bytes,"
           "index_bytes,adam_state_bytes,total_bytes,bytes_vs_dense\n";
  for (auto const& r : rows) {
    std::string vs_dense, bytes_vs_dense;
    for (auto const& d : rows)
      if (d.s.pattern == "dense" && d.s.model == r.s.model && d.s.width == r.s.width &&
          d.s.hidden_layers == r.s.hidden_layers && d.s.batch == r.s.batch) {
        vs_dense = format("%.3f", d.ms / r.ms);
        bytes_vs_dense = format("%.4f", double(r.bytes.total()) / double(d.bytes.total()));
      }
    out << r.s.model << ',' << r.s.pattern << ',' << r.s.width << ',' << r.s.hidden_layers << ','
        << r.s.batch << ',' << format("%g", r.s.density.to_double()) << ',' << threads << ','
        << format("%.4f", r.ms) << ',' << vs_dense << ',' << r.bytes.values << ','
        << r.bytes.indices << ',' << r.bytes.optimizer_state << ',' << r.bytes.total() << ','
        << bytes_vs_dense << '\n';
  }
}

void write_machine(std::filesystem::path const& file, CollectingReporter const& reporter,
                   int threads) {
  bool const fresh = !std::filesystem::exists(file) || std::filesystem::file_size(file) == 0;
  std::ofstream out(file, std::ios::app);
  if (fresh) out << "probe,threads,value,unit\n";
  // Commas would split the field; device names rarely have any.
  std::string device = device_name();
  for (auto& ch : device)
    if (ch == ',') ch = ';';
  out << "device," << threads << ',' << device << ",name\n";
  for (auto const& [name, probe] : registry().probes) {
    auto const found = reporter.results.find(name);
    if (found == reporter.results.end()) continue;
    auto const counter = found->second.counters.find(probe.unit == "GB/s" ? "bytes/s" : "FLOP/s");
    if (counter == found->second.counters.end()) continue;
    out << probe.name << ',' << threads << ',' << format("%.1f", counter->second / 1e9) << ','
        << probe.unit << '\n';
  }
}

void write_memory(std::filesystem::path const& file) {
  std::ofstream out(file, std::ios::trunc);
  out << "pattern,out,in,density,values_bytes,index_bytes,adam_state_bytes,total_bytes,vs_dense\n";
  for (auto const& m : registry().memory) {
    // Dense storage with the same 2 Adam states: values and state, no index.
    double const dense_total = 3.0 * double(m.out) * double(m.in) * sizeof(Scalar);
    out << m.pattern << ',' << m.out << ',' << m.in << ',' << format("%g", m.density.to_double())
        << ',' << m.bytes.values << ',' << m.bytes.indices << ',' << m.bytes.optimizer_state << ','
        << m.bytes.total() << ',' << format("%.4f", double(m.bytes.total()) / dense_total) << '\n';
  }
}

} // namespace

namespace {
// 0.1 s a repetition: tens of iterations on the small shapes; the slowest subjects (spmv
// at density 1/2, the dense width-4096 MLP step, about a second) run once a repetition.
benchmark::internal::Benchmark* timed(std::string const& name,
                                      std::function<void(benchmark::State&)> fn) {
  auto* const b = benchmark::RegisterBenchmark(name.c_str(), std::move(fn));
  b->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.1)->Repetitions(repetitions);
  b->ComputeStatistics("min", min_of)->DisplayAggregatesOnly(true);
  return b;
}
} // namespace

benchmark::internal::Benchmark* add_kernel(Subject const& subject,
                                           std::function<void(benchmark::State&)> fn) {
  std::string const name = std::string(op_name(subject.op)) + "/" + subject.pattern + "/" +
                           std::to_string(subject.out) + "x" + std::to_string(subject.in) + "/b" +
                           std::to_string(subject.batch) + "/d" + density_text(subject.density);
  registry().kernels.emplace_back(name, subject);
  return timed(name, std::move(fn));
}

benchmark::internal::Benchmark* add_model(ModelSubject const& subject,
                                          std::function<void(benchmark::State&)> fn) {
  std::string const name = subject.model + "_step/" + subject.pattern + "/w" +
                           std::to_string(subject.width) + "x" +
                           std::to_string(subject.hidden_layers) + "/b" +
                           std::to_string(subject.batch) + "/d" + density_text(subject.density);
  registry().models.emplace_back(name, subject);
  return timed(name, std::move(fn));
}

benchmark::internal::Benchmark* add_probe(Probe const& probe,
                                          std::function<void(benchmark::State&)> fn) {
  std::string const name = "machine/" + probe.name;
  registry().probes.emplace_back(name, probe);
  auto* const b = benchmark::RegisterBenchmark(name.c_str(), std::move(fn));
  b->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.1)->Repetitions(repetitions);
  b->ComputeStatistics("max", max_of)->DisplayAggregatesOnly(true);
  return b;
}

void record_memory(std::string const& pattern, std::int64_t out, std::int64_t in,
                   smup::ratio density, smup::StorageBytes const& bytes) {
  auto& memory = registry().memory;
  for (auto const& m : memory)
    if (m.pattern == pattern && m.out == out && m.in == in && m.density == density) return;
  memory.push_back({pattern, out, in, density, bytes});
}

int run_and_report(std::string const& csv_dir) {
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  // Kokkos views may not outlive Kokkos::finalize, which follows in main.
  cached.reset();
  cached_key.clear();
  if (!csv_dir.empty()) {
    std::filesystem::path const dir(csv_dir);
    std::filesystem::create_directories(dir);
    int const threads = Space().concurrency();
    write_kernels(dir / "kernels.csv", reporter, threads);
    write_models(dir / "models.csv", reporter, threads);
    write_machine(dir / "machine.csv", reporter, threads);
    write_memory(dir / "memory.csv");
  }
  return reporter.failed;
}

} // namespace smup_bench
