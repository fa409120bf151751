// smup_gpt_profile: where the time of one GPT training step goes. The GPT of the bench
// suite (SmuP, width 512, 2 blocks, head size 32, 1024 tokens, AdamW with clipping), dense
// and at density 1/16 in each sparse pattern; every Kokkos kernel, deep copy and BLAS call
// is timed through Kokkos Tools callbacks registered in-process and summed by phase. The
// step's time outside all of them (host code, allocation) is its own row.
//
//   smup_gpt_profile [--steps N] [--csv FILE]      # markdown table on stdout
//
// On host execution spaces every kernel completes before its end callback, so the times
// are exact; on a device they would time launches, not work, and the table says so.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/kernels/formats.hpp>
#include <smup/models/gpt.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/sparse_mup.hpp>

namespace {

using Space = Kokkos::DefaultExecutionSpace;
using Clock = std::chrono::steady_clock;

/// The phase a kernel, copy or region label belongs to.
std::string phase_of(std::string_view label) {
  auto const has = [&](std::string_view part) { return label.find(part) != label.npos; };
  if (has("KokkosBlas")) return "dense products (BLAS)";
  if (has("smup::forward<")) return "sparse products: forward";
  if (has("smup::backward_data<")) return "sparse products: backward-data";
  if (has("smup::weight_gradient<")) return "sparse products: weight gradient";
  if (has("Kokkos::View::initialization")) return "zero-fill of new views";
  if (has("deep_copy") || has("Kokkos::Impl::ViewFill")) return "copies and fills";
  if (has("CausalSelfAttention")) return "attention (scores, softmax, values)";
  if (has("LayerNorm")) return "LayerNorm";
  if (has("GELU")) return "GELU";
  if (has("Embedding")) return "embeddings";
  if (has("SoftmaxCrossEntropy") || has("fixed_order")) return "softmax and loss";
  if (has("Adam")) return "AdamW";
  if (has("clip") || has("gradient_norm")) return "gradient clipping";
  if (has("Linear")) return "bias and multipliers";
  if (has("GPT") || has("Residual")) return "residual stream";
  return std::string(label);
}

/// Open kernels, copies and BLAS regions; only the outermost timed item counts, so a
/// kernel inside a BLAS region (a non-TPL gemm) is not counted twice.
struct Profile {
  std::map<std::string, double> seconds;
  std::vector<std::pair<std::string, Clock::time_point>> open;
  int depth = 0;
  bool on = false;

  void begin(std::string_view label) {
    if (on && depth++ == 0) open.emplace_back(phase_of(label), Clock::now());
  }
  void end() {
    if (!on || depth == 0) return;
    if (--depth == 0) {
      auto const [phase, start] = open.back();
      open.pop_back();
      seconds[phase] += std::chrono::duration<double>(Clock::now() - start).count();
    }
  }
};

Profile profile;
std::vector<int> region_timed; // per open region: whether it is a timed BLAS region

void begin_kernel(char const* name, std::uint32_t, std::uint64_t*) { profile.begin(name); }
void end_kernel(std::uint64_t) { profile.end(); }
void begin_copy(Kokkos::Tools::SpaceHandle, char const* dst, void const*,
                Kokkos::Tools::SpaceHandle, char const*, void const*, std::uint64_t) {
  profile.begin(std::string("deep_copy ") + dst);
}
void end_copy() { profile.end(); }
void push_region(char const* name) {
  bool const blas = std::string_view(name).find("KokkosBlas") != std::string_view::npos;
  region_timed.push_back(blas ? 1 : 0);
  if (blas) profile.begin(name);
}
void pop_region() {
  if (region_timed.empty()) return;
  if (region_timed.back() != 0) profile.end();
  region_timed.pop_back();
}

void install_callbacks() {
  namespace T = Kokkos::Tools::Experimental;
  T::set_begin_parallel_for_callback(begin_kernel);
  T::set_end_parallel_for_callback(end_kernel);
  T::set_begin_parallel_reduce_callback(begin_kernel);
  T::set_end_parallel_reduce_callback(end_kernel);
  T::set_begin_parallel_scan_callback(begin_kernel);
  T::set_end_parallel_scan_callback(end_kernel);
  T::set_begin_deep_copy_callback(begin_copy);
  T::set_end_deep_copy_callback(end_copy);
  T::set_push_region_callback(push_region);
  T::set_pop_region_callback(pop_region);
}

struct Column {
  std::string pattern;
  std::map<std::string, double> ms; ///< per step, by phase
  double step_ms = 0;
};

template <class S> Column profile_gpt(std::string const& pattern, smup::ratio density, int steps) {
  using Model = smup::GPT<smup::SMuP, S, Space, float>;
  smup::HyperParams const hp{.sigma = 0.02, .eta = 0x1p-8};
  Model model({.context = 64, .width = 512, .head_dim = 32, .blocks = 2, .density = density},
              {.width = 64}, hp, 7);
  smup::AdamW<smup::SMuP, Space, float> adam(model, hp, {.beta1 = 0.9, .beta2 = 0.95});
  std::int64_t const n = 16 * 64;
  typename Model::Tokens const tokens("tokens", n), targets("targets", n);
  Kokkos::parallel_for(
      "smup_profile::tokens", Kokkos::RangePolicy<Space>(0, n), KOKKOS_LAMBDA(std::int64_t c) {
        tokens(c) = static_cast<int>((c * 37 + 11) % 256);
        targets(c) = static_cast<int>((c * 53 + 5) % 256);
      });
  model.train_step(tokens, targets, adam, 1.0); // warm-up: first-touch allocations
  Kokkos::fence();
  profile.seconds.clear();
  profile.on = true;
  auto const start = Clock::now();
  for (int s = 0; s < steps; ++s) model.train_step(tokens, targets, adam, 1.0);
  Kokkos::fence();
  double const total = std::chrono::duration<double>(Clock::now() - start).count();
  profile.on = false;
  Column col{pattern, {}, 1e3 * total / steps};
  double timed = 0;
  for (auto const& [phase, sec] : profile.seconds) {
    col.ms[phase] = 1e3 * sec / steps;
    timed += sec;
  }
  col.ms["outside kernels (host code, allocation)"] = 1e3 * (total - timed) / steps;
  return col;
}

std::string fixed(double v, int digits) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << v;
  return o.str();
}

} // namespace

int main(int argc, char* argv[]) {
  int steps = 5;
  std::string csv;
  Kokkos::ScopeGuard kokkos(argc, argv);
  for (int i = 1; i < argc; ++i) {
    std::string const a = argv[i];
    if (a == "--steps" && i + 1 < argc) {
      steps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--csv" && i + 1 < argc) {
      csv = argv[++i];
    } else if (a == "--help" || a == "-h") {
      std::cout << "usage: smup_gpt_profile [--steps N] [--csv FILE]\n";
      return 0;
    } else {
      std::cerr << "smup_gpt_profile: unknown option '" << a << "'\n";
      return 2;
    }
  }
  install_callbacks();
  std::vector<Column> cols;
  cols.push_back(profile_gpt<smup::Dense>("dense", smup::ratio{1}, steps));
  cols.push_back(profile_gpt<smup::Unstructured>("unstructured 1/16", smup::ratio{1, 16}, steps));
  cols.push_back(profile_gpt<smup::NM<1, 16>>("nm1:16", smup::ratio{1, 16}, steps));
  cols.push_back(profile_gpt<smup::Block<32, 32>>("block32x32 1/16", smup::ratio{1, 16}, steps));

  // Phases in order of the dense step's time, then any only the sparse steps have.
  std::vector<std::pair<double, std::string>> order;
  std::map<std::string, bool> seen;
  for (auto const& c : cols)
    for (auto const& [phase, ms] : c.ms)
      if (!seen[phase]) {
        seen[phase] = true;
        order.emplace_back(-cols.front().ms[phase], phase);
      }
  std::sort(order.begin(), order.end());

  std::ostringstream table;
  table << "GPT training step by phase (SmuP, width 512, 2 blocks, 1024 tokens, AdamW), "
        << Space().concurrency() << " thread(s) of " << Space::name() << ", mean of " << steps
        << " steps; ms per step (share of the step)\n\n| phase |";
  for (auto const& c : cols) table << " " << c.pattern << " |";
  table << "\n|---|";
  for (std::size_t i = 0; i < cols.size(); ++i) table << "---|";
  table << "\n";
  for (auto const& [neg, phase] : order) {
    table << "| " << phase << " |";
    for (auto& c : cols)
      table << " " << fixed(c.ms[phase], 1) << " (" << fixed(100 * c.ms[phase] / c.step_ms, 0)
            << "%) |";
    table << "\n";
  }
  table << "| **step** |";
  for (auto const& c : cols) table << " **" << fixed(c.step_ms, 1) << "** |";
  table << "\n| speed-up over dense |";
  for (auto const& c : cols) table << " " << fixed(cols.front().step_ms / c.step_ms, 2) << "x |";
  table << "\n";
  if (!Kokkos::SpaceAccessibility<Space, Kokkos::HostSpace>::accessible)
    table << "\nOn this device, kernels run asynchronously: the phases time their launches, "
             "not their work; only the step total is the device's time.\n";
  std::cout << table.str();
  if (!csv.empty()) {
    std::ofstream out(csv);
    out << "pattern,phase,ms_per_step\n";
    for (auto const& c : cols) {
      for (auto const& [phase, ms] : c.ms) out << c.pattern << "," << phase << "," << ms << "\n";
      out << c.pattern << ",step," << c.step_ms << "\n";
    }
    if (!out) throw std::runtime_error("smup_gpt_profile: cannot write " + csv);
  }
  return 0;
}
