// Prints, for an MLP and a GPT of every sparsity pattern, the loss of each training step
// as an exact hex float and a hash of every trained value. CTest runs it with 1 and 2
// OpenMP threads and twice with 2, and requires the same text each time: the same seed
// trains to the same bits whatever the thread count.
#include <smup/models/gpt.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include "../runtime/tensor_values.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace {

using E = Kokkos::DefaultExecutionSpace;
constexpr smup::HyperParams hp{.sigma = 0.5, .eta = 0x1p-6, .weight_decay = 0.01};
constexpr smup::BaseShape base{.width = 16};
constexpr int steps = 6;

/// FNV-1a over the bytes of every value, tensor by tensor.
template <class Model> std::uint64_t values_hash(Model& model) {
  std::uint64_t h = 1469598103934665603ULL;
  for (auto const& tensor : smup_test::tensor_values(model))
    for (auto const v : tensor) {
      unsigned char bytes[sizeof v];
      std::memcpy(bytes, &v, sizeof v);
      for (auto const b : bytes) h = (h ^ b) * 1099511628211ULL;
    }
  return h;
}

/// A deterministic value in [-1, 1) for (seed, i).
float noise(std::uint64_t seed, std::uint64_t i) {
  std::uint64_t x = (seed + 1) * 0x9E3779B97F4A7C15ULL ^ (i + 1) * 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  return static_cast<float>(static_cast<double>(x >> 11) * 0x1p-52 - 1.0);
}

template <class Model> void report(char const* name, double const (&losses)[steps], Model& model) {
  std::printf("%s", name);
  for (double const l : losses) std::printf(" %a", l);
  std::printf(" values %016llx\n", static_cast<unsigned long long>(values_hash(model)));
}

template <class Pattern> void trace_mlp(char const* name, smup::ratio density) {
  using Model = smup::MLP<smup::SMuP, Pattern, E, float>;
  constexpr std::int64_t in = 48, out = 10, batch = 64;
  typename Model::Shape shape{.in = in, .width = 64, .hidden_layers = 2, .out = out};
  if constexpr (!std::is_same_v<Pattern, smup::Dense>) shape.density = density;
  Model model(shape, base, hp, 7);
  smup::AdamW<smup::SMuP, E, float> adam(model, {.beta1 = 0.9, .beta2 = 0.95});
  smup::Activations<float, E> x("x", in, batch);
  Kokkos::View<int*, E::memory_space> labels("labels", batch);
  double losses[steps];
  for (int s = 0; s < steps; ++s) {
    auto hx = Kokkos::create_mirror_view(x);
    for (std::int64_t i = 0; i < in; ++i)
      for (std::int64_t b = 0; b < batch; ++b)
        hx(i, b) = noise(static_cast<std::uint64_t>(s), static_cast<std::uint64_t>(i * batch + b));
    auto hl = Kokkos::create_mirror_view(labels);
    for (std::int64_t b = 0; b < batch; ++b) hl(b) = static_cast<int>((b * 7 + s) % out);
    Kokkos::deep_copy(x, hx);
    Kokkos::deep_copy(labels, hl);
    // A small clipping norm, so the gradient norm's reduction decides every step.
    losses[s] = model.train_step(x, labels, adam, /*max_grad_norm=*/0.05);
  }
  report(name, losses, model);
}

template <class Pattern> void trace_gpt(char const* name, smup::ratio density) {
  using Model = smup::GPT<smup::SMuP, Pattern, E, float>;
  constexpr std::int64_t vocab = 32, tokens = 96;
  typename Model::Shape shape{
      .vocab = vocab, .context = 16, .width = 32, .head_dim = 8, .blocks = 2};
  if constexpr (!std::is_same_v<Pattern, smup::Dense>) shape.density = density;
  Model model(shape, base, hp, 9);
  smup::AdamW<smup::SMuP, E, float> adam(model, {.beta1 = 0.9, .beta2 = 0.95});
  typename Model::Tokens input("input", tokens), target("target", tokens);
  double losses[steps];
  for (int s = 0; s < steps; ++s) {
    auto hi = Kokkos::create_mirror_view(input);
    auto ht = Kokkos::create_mirror_view(target);
    for (std::int64_t c = 0; c < tokens; ++c) {
      hi(c) = static_cast<int>((5 * c + 3 * s) % vocab);
      ht(c) = static_cast<int>((5 * c + 3 * s + 1) % vocab);
    }
    Kokkos::deep_copy(input, hi);
    Kokkos::deep_copy(target, ht);
    losses[s] = model.train_step(input, target, adam, /*max_grad_norm=*/0.05);
  }
  report(name, losses, model);
}

} // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  try {
    trace_mlp<smup::Dense>("mlp dense", {1, 1});
    trace_mlp<smup::Unstructured>("mlp unstructured-1/4", {1, 4});
    trace_mlp<smup::NM<1, 4>>("mlp nm-1:4", {1, 4});
    trace_mlp<smup::NM<2, 4>>("mlp nm-2:4", {1, 2});
    trace_mlp<smup::Block<4, 4>>("mlp block-4x4-1/4", {1, 4});
    trace_gpt<smup::Dense>("gpt dense", {1, 1});
    trace_gpt<smup::Unstructured>("gpt unstructured-1/4", {1, 4});
    trace_gpt<smup::NM<1, 4>>("gpt nm-1:4", {1, 4});
    trace_gpt<smup::Block<4, 4>>("gpt block-4x4-1/4", {1, 4});
  } catch (std::exception const& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
