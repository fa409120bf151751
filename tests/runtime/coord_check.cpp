// The coordinate check as a test: SmuP keeps every hidden layer's mean |x| flat across
// width and density for the first Adam steps; SP (over width) and muP (over density)
// move it by more than 2x — the negative controls show the check can fail.
#include "catch.hpp"
#include "kernel_reference.hpp"

#include <smup/diagnostics/coord_check.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <algorithm>
#include <map>
#include <tuple>

namespace {

using E = Kokkos::DefaultExecutionSpace;

struct Batch {
  smup::Activations<float, E> x{"x", 64, 64};
  Kokkos::View<int*, E::memory_space> labels{"labels", 64};
  Batch() {
    smup_test::fill_uniform(x, 77);
    auto h = Kokkos::create_mirror_view(labels);
    for (int b = 0; b < 64; ++b) h(b) = b % 10;
    Kokkos::deep_copy(labels, h);
  }
};

// Adam a few times above this toy problem's base optimum. The readout starts small
// (alpha_out 0.1), as muP practice does: at init its output shrinks like 1/sqrt(m_d),
// and a large readout would make the first updates differ between widths for that reason.
smup::CoordCheckConfig config(std::vector<std::int64_t> widths,
                              std::vector<smup::ratio> densities) {
  return {.widths = std::move(widths),
          .densities = std::move(densities),
          .steps = 3,
          .hidden_layers = 2,
          .in = 64,
          .out = 10,
          .base = {.width = 128},
          .hp = {.sigma = 0.1, .eta = 0x1p-7, .alpha_out = 0.1},
          .seed = 5};
}

using Key = std::tuple<std::int64_t, smup::ratio, int, std::string>;

std::map<Key, double> by_key(std::vector<smup::CoordCheckRecord> const& rows) {
  std::map<Key, double> out;
  for (auto const& r : rows) out[{r.width, r.density, r.step, r.layer}] = r.mean_abs;
  return out;
}

/// Largest ratio (>= 1) between two settings over the hidden layers at steps 1..3.
double worst_hidden_ratio(std::map<Key, double> const& m, std::int64_t w1, smup::ratio d1,
                          std::int64_t w2, smup::ratio d2) {
  double worst = 1.0;
  for (int step = 1; step <= 3; ++step)
    for (std::string layer : {"hidden.1", "hidden.2"}) {
      double const a = m.at({w1, d1, step, layer}), b = m.at({w2, d2, step, layer});
      worst = std::max(worst, std::max(a / b, b / a));
    }
  return worst;
}

} // namespace

TEST_CASE("Coordinate check over width: SmuP and muP stay flat, SP does not",
          "[diagnostics][coord-check]") {
  Batch batch;
  auto const cfg = config({128, 1024}, {smup::ratio{1}});
  auto const smup_rows =
      by_key(smup::coord_check<smup::SMuP, smup::Dense>(cfg, batch.x, batch.labels));
  auto const mup_rows =
      by_key(smup::coord_check<smup::MuP, smup::Dense>(cfg, batch.x, batch.labels));
  auto const sp_rows = by_key(smup::coord_check<smup::SP, smup::Dense>(cfg, batch.x, batch.labels));
  CHECK(worst_hidden_ratio(smup_rows, 128, 1, 1024, 1) < 1.3);
  CHECK(worst_hidden_ratio(mup_rows, 128, 1, 1024, 1) < 1.3);
  CHECK(worst_hidden_ratio(sp_rows, 128, 1, 1024, 1) > 2.0);
}

TEST_CASE("Coordinate check over density: SmuP stays flat, muP does not",
          "[diagnostics][coord-check]") {
  Batch batch;
  auto const cfg = config({1024}, {smup::ratio{1}, smup::ratio{1, 16}});
  auto const smup_rows =
      by_key(smup::coord_check<smup::SMuP, smup::Unstructured>(cfg, batch.x, batch.labels));
  auto const mup_rows =
      by_key(smup::coord_check<smup::MuP, smup::Unstructured>(cfg, batch.x, batch.labels));
  CHECK(worst_hidden_ratio(smup_rows, 1024, 1, 1024, {1, 16}) < 1.3);
  CHECK(worst_hidden_ratio(mup_rows, 1024, 1, 1024, {1, 16}) > 2.0);
}

TEST_CASE("Coordinate-check records name every layer at every step", "[diagnostics][coord-check]") {
  Batch batch;
  auto const rows = smup::coord_check<smup::SMuP, smup::Dense>(config({128}, {smup::ratio{1}}),
                                                               batch.x, batch.labels);
  REQUIRE(rows.size() == 3 * 4); // 3 steps x (input, 2 hidden, readout)
  CHECK(rows.front().layer == "input");
  CHECK(rows[3].layer == "readout");
  CHECK(rows.back().step == 3);
  CHECK(rows.front().parameterization == "SmuP");
  for (auto const& r : rows) CHECK(r.mean_abs > 0);
}
