// Google Benchmark main for smup: one Kokkos lifetime for the whole run, and a JSON
// context that records what the numbers depend on (Kokkos build, threads, BLAS kernel).
// With --smup_csv_dir=DIR it also writes the suite's CSV files there (see suite.hpp).
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

#include <dlfcn.h>

#include <Kokkos_Core.hpp>
#include <benchmark/benchmark.h>

#include "suite.hpp"

namespace {

std::string kokkos_version() {
  constexpr int v = KOKKOS_VERSION;
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
}

std::string kokkos_backends() {
  std::string out;
  auto add = [&out](char const* name) { out += out.empty() ? name : std::string(",") + name; };
#if defined(KOKKOS_ENABLE_CUDA)
  add("Cuda");
#endif
#if defined(KOKKOS_ENABLE_HIP)
  add("HIP");
#endif
#if defined(KOKKOS_ENABLE_SYCL)
  add("SYCL");
#endif
#if defined(KOKKOS_ENABLE_OPENMP)
  add("OpenMP");
#endif
#if defined(KOKKOS_ENABLE_THREADS)
  add("Threads");
#endif
#if defined(KOKKOS_ENABLE_HPX)
  add("HPX");
#endif
#if defined(KOKKOS_ENABLE_SERIAL)
  add("Serial");
#endif
  return out;
}

std::string env_or(char const* name, char const* fallback) {
  char const* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

// Looked up at run time rather than declared: Kokkos Kernels may be linked to a BLAS
// that is not OpenBLAS (Debian's links libblas.so), and the record must say which ran.
template <class Fn> Fn find_symbol(char const* name) {
  void* const sym = dlsym(RTLD_DEFAULT, name);
  Fn fn = nullptr;
  static_assert(sizeof fn == sizeof sym);
  std::memcpy(&fn, &sym, sizeof fn);
  return fn;
}

void record_blas() {
  using text_fn = char* (*)();
  using int_fn = int (*)();
  if (auto const config = find_symbol<text_fn>("openblas_get_config")) {
    benchmark::AddCustomContext("openblas_config", config());
  } else {
    benchmark::AddCustomContext("openblas_config", "not loaded (BLAS is not OpenBLAS)");
  }
  if (auto const core = find_symbol<text_fn>("openblas_get_corename")) {
    benchmark::AddCustomContext("openblas_corename", core());
  }
  if (auto const threads = find_symbol<int_fn>("openblas_get_num_threads")) {
    benchmark::AddCustomContext("openblas_threads", std::to_string(threads()));
  }
  Dl_info info{};
  if (void* const sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
      sgemm != nullptr && dladdr(sgemm, &info) != 0 && info.dli_fname != nullptr) {
    benchmark::AddCustomContext("blas_library", info.dli_fname);
  }
  // These force a slower OpenBLAS kernel; `make bench` unsets them, and the record shows it.
  benchmark::AddCustomContext("env_OPENBLAS_CORETYPE", env_or("OPENBLAS_CORETYPE", "(unset)"));
  benchmark::AddCustomContext("env_OPENBLAS_L2_SIZE", env_or("OPENBLAS_L2_SIZE", "(unset)"));
}

// Other work on the machine slows every subject; the record says how busy it was.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "unknown";
  return one + " " + five + " " + fifteen;
}

// Which formats this binary measures (a pattern whose kernels are not built is left out).
std::string measured_patterns() {
  std::string out;
  for (auto const& [name, subject] : smup_bench::registry().kernels)
    if (("," + out + ",").find("," + subject.pattern + ",") == std::string::npos)
      out += (out.empty() ? "" : ",") + subject.pattern;
  return out;
}

// Takes --smup_csv_dir=DIR out of argv (Google Benchmark rejects flags it does not know).
std::string take_csv_dir(int& argc, char* argv[]) {
  constexpr std::string_view flag = "--smup_csv_dir=";
  std::string dir;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view const arg = argv[i];
    if (arg.starts_with(flag)) {
      dir = arg.substr(flag.size());
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  return dir;
}

} // namespace

int main(int argc, char* argv[]) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  std::string const csv_dir = take_csv_dir(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }

  benchmark::AddCustomContext("kokkos_version", kokkos_version());
  benchmark::AddCustomContext("kokkos_backends", kokkos_backends());
  benchmark::AddCustomContext("kokkos_execution_space", Kokkos::DefaultExecutionSpace::name());
  benchmark::AddCustomContext("device", smup_bench::device_name());
  benchmark::AddCustomContext("kokkos_concurrency",
                              std::to_string(Kokkos::DefaultExecutionSpace().concurrency()));
  benchmark::AddCustomContext("hardware_threads",
                              std::to_string(std::thread::hardware_concurrency()));
  benchmark::AddCustomContext("env_OMP_NUM_THREADS", env_or("OMP_NUM_THREADS", "(unset)"));
  benchmark::AddCustomContext("env_OMP_PROC_BIND", env_or("OMP_PROC_BIND", "(unset)"));
  record_blas();

  smup_bench::register_machine();
  smup_bench::register_dense();
  smup_bench::register_csr();
  smup_bench::register_nm();
  smup_bench::register_bsr();
  smup_bench::register_models();
  smup_bench::register_gpt();
  benchmark::AddCustomContext("smup_bench_patterns", measured_patterns());
  benchmark::AddCustomContext("load_average_at_start", load_average());
  int const failed = smup_bench::run_and_report(csv_dir);
  benchmark::Shutdown();
  return failed == 0 ? 0 : 1;
}
