// One training step of the byte-level GPT under SmuP: width 512, 2 blocks, head size 32,
// context 64, 16 sequences (1024 tokens), forward, loss, backward, gradient clipping and
// AdamW. Dense against density 1/16 in each sparse pattern (hidden matrices only: QKV,
// attention output, MLP up and down), with bytes of parameters, indices and Adam state.
#include <smup/kernels/formats.hpp>
#include <smup/models/gpt.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include "suite.hpp"

namespace smup_bench {

namespace {

constexpr std::int64_t gpt_width = 512, gpt_context = 64, gpt_sequences = 16;
constexpr int gpt_blocks = 2;

template <class S> void add_gpt(std::string const& pattern, smup::ratio density) {
  // `batch` counts tokens: sequences x context.
  add_model({"gpt", pattern, gpt_width, gpt_blocks, gpt_sequences * gpt_context, density},
            [=](benchmark::State& state) {
              using Model = smup::GPT<smup::SMuP, S, Space, Scalar>;
              smup::HyperParams const hp{.sigma = 0.02, .eta = 0x1p-8};
              Model model({.context = gpt_context,
                           .width = gpt_width,
                           .head_dim = 32,
                           .blocks = gpt_blocks,
                           .density = density},
                          {.width = 64}, hp, 7);
              smup::AdamW<smup::SMuP, Space, Scalar> adam(model, hp, {.beta1 = 0.9, .beta2 = 0.95});
              std::int64_t const n = gpt_sequences * gpt_context;
              typename Model::Tokens const tokens("tokens", n), targets("targets", n);
              Kokkos::parallel_for(
                  "smup_bench::tokens", Kokkos::RangePolicy<Space>(0, n),
                  KOKKOS_LAMBDA(std::int64_t c) {
                    tokens(c) = static_cast<int>((c * 37 + 11) % 256);
                    targets(c) = static_cast<int>((c * 53 + 5) % 256);
                  });
              model.train_step(tokens, targets, adam, 1.0); // untimed warm-up
              Kokkos::fence();
              for (auto _ : state) {
                benchmark::DoNotOptimize(model.train_step(tokens, targets, adam, 1.0));
                Kokkos::fence();
              }
              state.counters["tokens/s"] =
                  benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
              auto const bytes = model.storage_bytes(2);
              state.counters["values_bytes"] = double(bytes.values);
              state.counters["index_bytes"] = double(bytes.indices);
              state.counters["state_bytes"] = double(bytes.optimizer_state);
            });
}

} // namespace

void register_gpt() {
  add_gpt<smup::Dense>("dense", smup::ratio{1});
  add_gpt<smup::Unstructured>("unstructured", smup::ratio{1, 16});
  add_gpt<smup::NM<1, 16>>("nm1:16", smup::ratio{1, 16});
  add_gpt<smup::Block<32, 32>>("block32x32", smup::ratio{1, 16});
}

} // namespace smup_bench
