// One training step of a whole MLP under SmuP: 784 -> 4 hidden layers of width d -> 10,
// forward, softmax cross-entropy, backward and the Adam update, batch 256. Dense against
// density 1/16 in each sparse pattern, with the bytes of parameters, indices and Adam
// state (models.csv). Only the hidden matrices are sparse, so the input and readout
// layers bound the gain at small widths.
#include <smup/kernels/formats.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include "suite.hpp"

namespace smup_bench {

namespace {

constexpr std::int64_t mlp_widths[] = {256, 1024, 4096};
constexpr int mlp_hidden_layers = 4;
constexpr std::int64_t mlp_in = 784, mlp_out = 10;

template <class S>
void add_mlp(std::string const& pattern, std::int64_t width, smup::ratio density) {
  add_model({"mlp", pattern, width, mlp_hidden_layers, batch, density},
            [=](benchmark::State& state) {
              using Model = smup::MLP<smup::SMuP, S, Space, Scalar>;
              smup::HyperParams const hp{.sigma = 0.05, .eta = 0x1p-9};
              Model model({.in = mlp_in,
                           .width = width,
                           .hidden_layers = mlp_hidden_layers,
                           .out = mlp_out,
                           .density = density},
                          {.width = 128}, hp, 7);
              smup::Adam<smup::SMuP, Space, Scalar> adam(model, hp);
              smup::Activations<Scalar, Space> const x("x", mlp_in, batch);
              fill(x, 3);
              typename Model::Labels const labels("labels", batch);
              Kokkos::parallel_for(
                  "smup_bench::labels", Kokkos::RangePolicy<Space>(0, batch),
                  KOKKOS_LAMBDA(std::int64_t b) { labels(b) = static_cast<int>(b % mlp_out); });
              model.train_step(x, labels, adam); // first-touch and library buffers, untimed
              Kokkos::fence();
              for (auto _ : state) {
                benchmark::DoNotOptimize(model.train_step(x, labels, adam));
                Kokkos::fence();
              }
              auto const bytes = model.storage_bytes(2);
              state.counters["values_bytes"] = double(bytes.values);
              state.counters["index_bytes"] = double(bytes.indices);
              state.counters["state_bytes"] = double(bytes.optimizer_state);
            });
}

} // namespace

void register_models() {
  for (std::int64_t const width : mlp_widths) {
    add_mlp<smup::Dense>("dense", width, smup::ratio{1});
    add_mlp<smup::Unstructured>("unstructured", width, smup::ratio{1, 16});
    add_mlp<smup::NM<1, 16>>("nm1:16", width, smup::ratio{1, 16});
    add_mlp<smup::Block<32, 32>>("block32x32", width, smup::ratio{1, 16});
  }
}

} // namespace smup_bench
