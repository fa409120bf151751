#pragma once
/// Learned embeddings of a GPT-style model, both of role Role::input: init std,
/// forward multiplier (the tuned alpha_in) and learning rates from layer_hyperparams<P>.
/// smup::Embedding looks up a token's vector in a [width][vocab] table, and
/// smup::PositionEmbedding adds a learned vector per sequence position.
///
///     smup::Embedding<smup::SMuP> embed(/*width=*/256, /*vocab=*/65, base, hp, /*seed=*/7);
///     smup::PositionEmbedding<smup::SMuP> positions(256, /*context=*/128, base, hp, 7);
///     embed.forward(ids, h);                   // ids: View<int*>, h: [width][batch * context]
///     positions.forward_add(h, /*context=*/128);
///     // ... the rest of the model, then from dh = dL/dh:
///     positions.backward(dh, 128);             // both overwrite their table gradients
///     embed.backward(ids, dh);                 // (GradientWrite::accumulate adds instead)
///
/// Sequence columns are c = b * context + t. Tables are row-major [width][entries],
/// so the vector of token v (or position t) is column v (t). Gradients are summed in
/// a fixed order, without atomics: the same inputs give bit-identical gradients.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/kernels/host_path.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>
#include <smup/layers/embedding_kernels.hpp>
#include <smup/layers/init.hpp>
#include <smup/optim/tensor.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/shape.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup {

namespace detail {

inline std::int64_t checked_table_extent(char const* where, char const* what, std::int64_t n,
                                         char const* hint) {
  if (n < 1)
    fail(std::string(where) + ": " + what + " must be at least 1 (got " + std::to_string(n) +
         "). " + hint);
  return n;
}

/// The table's values are drawn from `seed` through a stream of their own per kind.
template <class Values>
void fill_table(Values const& table, double std_dev, std::uint64_t seed, std::uint64_t stream) {
  fill_normal(table, std_dev, counter_hash(seed, stream, 1));
}

} // namespace detail

/// How a backward pass writes a parameter gradient: replacing what is there, or adding
/// to it (a table shared with a tied readout receives the gradients of both uses).
enum class GradientWrite { overwrite, accumulate };

template <Parameterization P, class E = Kokkos::DefaultExecutionSpace, class Scalar = float>
class Embedding {
public:
  using parameterization = P;
  using execution_space = E;
  using scalar_type = Scalar;
  /// Token ids, one per column; forward and backward also take views of const int.
  using Tokens = Kokkos::View<int*, typename E::memory_space>;
  using ConstTokens = Kokkos::View<int const*, typename E::memory_space>;

  Embedding(std::int64_t width, std::int64_t vocab, BaseShape base, HyperParams const& hp,
            std::uint64_t seed)
      : width_(detail::checked_table_extent("smup::Embedding::Embedding", "width", width,
                                            "Pass the model width, the length of each vector.")),
        vocab_(detail::checked_table_extent("smup::Embedding::Embedding", "vocab", vocab,
                                            "Pass the number of distinct token ids.")),
        rules_(layer_hyperparams<P>(hp, base, width, ratio{1}, Role::input)),
        table_("smup::Embedding::table", static_cast<std::size_t>(width * vocab)),
        table_grad_("smup::Embedding::table_grad", static_cast<std::size_t>(width * vocab)) {
    detail::fill_table(table_, rules_.init_std, seed, 0xe3bedULL);
  }

  /// y(i, c) = multiplier * table(i, tokens(c)).   y: [width][tokens].
  /// Token ids are not range-checked here, which would cost a blocking device-to-host
  /// read every step: a token outside [0, vocab) reads nothing and gives its column NaN,
  /// which the loss turns into an error naming the token (GPT::train_step and evaluate
  /// call check_tokens when the loss is not finite). Check data where it enters with
  /// check_tokens.
  void forward(ConstTokens const& tokens, Activations<Scalar, E> const& y) const {
    check_shape("forward", "y", tokens, y);
    auto const table = table_;
    auto const vocab = vocab_;
    auto const mult = static_cast<Scalar>(rules_.multiplier);
    auto const nan = std::numeric_limits<Scalar>::quiet_NaN();
    Kokkos::parallel_for(
        "smup::Embedding::forward",
        Kokkos::MDRangePolicy<E, Kokkos::Rank<2>>(
            {0, 0}, {width_, static_cast<std::int64_t>(tokens.extent(0))}),
        KOKKOS_LAMBDA(std::int64_t i, std::int64_t c) {
          int const v = tokens(c);
          y(i, c) = v >= 0 && v < vocab ? mult * table(i * vocab + v) : nan;
        });
  }

  /// The table gradient from dy = dL/dy ([width][tokens]): column v gets multiplier *
  /// the sum of dy's columns whose token is v (zero for unseen tokens). It replaces the
  /// gradient, or with GradientWrite::accumulate adds to it (after a tied readout's).
  /// Tokens outside [0, vocab) contribute nothing.
  void backward(ConstTokens const& tokens, Activations<Scalar, E> const& dy,
                GradientWrite write = GradientWrite::overwrite) {
    check_shape("backward", "dy", tokens, dy);
    auto const mult = static_cast<Scalar>(rules_.multiplier);
    bool const overwrite = write == GradientWrite::overwrite;
    if constexpr (detail::executes_on_host<E>) {
      detail::embedding_backward_rows<E>(tokens, dy, table_grad_, vocab_, mult, overwrite);
    } else {
      token_index_.build(tokens, vocab_);
      detail::embedding_backward_buckets<E>(token_index_, dy, table_grad_, vocab_, mult, overwrite);
    }
  }

  /// Throws smup::error naming how many tokens lie outside [0, vocab) and the first of
  /// them. It reads a count back from E's memory, so it blocks: call it where data
  /// enters, not in every step.
  void check_tokens(ConstTokens const& tokens) const {
    auto const vocab = vocab_;
    std::int64_t bad = 0;
    Kokkos::parallel_reduce(
        "smup::Embedding::check_tokens", Kokkos::RangePolicy<E>(0, tokens.extent(0)),
        KOKKOS_LAMBDA(std::int64_t c, std::int64_t & count) {
          if (tokens(c) < 0 || tokens(c) >= vocab) ++count;
        },
        bad);
    if (bad == 0) return;
    std::int64_t first = 0;
    Kokkos::parallel_reduce(
        "smup::Embedding::first_bad_token", Kokkos::RangePolicy<E>(0, tokens.extent(0)),
        KOKKOS_LAMBDA(std::int64_t c, std::int64_t & lowest) {
          if ((tokens(c) < 0 || tokens(c) >= vocab) && c < lowest) lowest = c;
        },
        Kokkos::Min<std::int64_t>(first));
    Kokkos::View<int, Kokkos::HostSpace> value("smup::Embedding::bad_token");
    Kokkos::deep_copy(value, Kokkos::subview(tokens, first));
    detail::fail("smup::Embedding::check_tokens: " + std::to_string(bad) +
                 " token(s) outside [0, " + std::to_string(vocab_) + "), the first at column " +
                 std::to_string(first) + " (" + std::to_string(value()) +
                 "). Tokens are vocabulary indices. Check the data or the vocabulary size.");
  }

  /// Calls f(Tensor&) for the table.
  template <class F> void for_each_tensor(F&& f) {
    Tensor<Scalar, E> t{table_, table_grad_, rules_};
    f(t);
  }

  [[nodiscard]] StorageBytes storage_bytes(std::size_t optimizer_states = 0) const {
    auto const bytes = table_.span() * sizeof(Scalar);
    return {bytes, 0, optimizer_states * bytes};
  }

  [[nodiscard]] std::int64_t width() const { return width_; }
  [[nodiscard]] std::int64_t vocab() const { return vocab_; }
  [[nodiscard]] LayerHyperParams const& rules() const { return rules_; }
  /// Row-major [width][vocab]: entry (i, v) at i * vocab + v.
  [[nodiscard]] WeightValues<Scalar, E> const& table() const { return table_; }
  [[nodiscard]] WeightValues<Scalar, E> const& table_grad() const { return table_grad_; }

private:
  void check_shape(char const* method, char const* name, ConstTokens const& tokens,
                   Activations<Scalar, E> const& v) const {
    if (static_cast<std::int64_t>(v.extent(0)) != width_ || v.extent(1) != tokens.extent(0))
      detail::fail(std::string("smup::Embedding::") + method + ": " + name + " is " +
                   std::to_string(v.extent(0)) + " x " + std::to_string(v.extent(1)) +
                   " but needs width x tokens = " + std::to_string(width_) + " x " +
                   std::to_string(tokens.extent(0)) + ". Pass " + name +
                   " of shape [width][number of tokens].");
  }

  std::int64_t width_;
  std::int64_t vocab_;
  LayerHyperParams rules_;
  WeightValues<Scalar, E> table_;
  WeightValues<Scalar, E> table_grad_;
  detail::TokenIndex<E> token_index_; ///< device backward: columns by token
};

template <Parameterization P, class E = Kokkos::DefaultExecutionSpace, class Scalar = float>
class PositionEmbedding {
public:
  using parameterization = P;
  using execution_space = E;
  using scalar_type = Scalar;

  /// `context` is the longest sequence the table covers.
  PositionEmbedding(std::int64_t width, std::int64_t context, BaseShape base, HyperParams const& hp,
                    std::uint64_t seed)
      : width_(detail::checked_table_extent("smup::PositionEmbedding::PositionEmbedding", "width",
                                            width,
                                            "Pass the model width, the length of each vector.")),
        context_(detail::checked_table_extent("smup::PositionEmbedding::PositionEmbedding",
                                              "context", context,
                                              "Pass the longest sequence length it embeds.")),
        rules_(layer_hyperparams<P>(hp, base, width, ratio{1}, Role::input)),
        table_("smup::PositionEmbedding::table", static_cast<std::size_t>(width * context)),
        table_grad_("smup::PositionEmbedding::table_grad",
                    static_cast<std::size_t>(width * context)) {
    detail::fill_table(table_, rules_.init_std, seed, 0x905e3bedULL);
  }

  /// y(i, c) += multiplier * table(i, c % context) for y: [width][batch * context].
  /// context may be shorter than the table's (shorter sequences use its first columns).
  void forward_add(Activations<Scalar, E> const& y, std::int64_t context) const {
    check("forward_add", "y", y, context);
    auto const table = table_;
    auto const stride = context_;
    auto const mult = static_cast<Scalar>(rules_.multiplier);
    Kokkos::parallel_for(
        "smup::PositionEmbedding::forward_add",
        Kokkos::MDRangePolicy<E, Kokkos::Rank<2>>({0, 0},
                                                  {width_, static_cast<std::int64_t>(y.extent(1))}),
        KOKKOS_LAMBDA(std::int64_t i, std::int64_t c) {
          y(i, c) += mult * table(i * stride + c % context);
        });
  }

  /// Overwrites the table gradient from dy = dL/dy: entry (i, t) gets multiplier *
  /// the sum over sequences b of dy(i, b * context + t); positions t >= context get 0.
  void backward(Activations<Scalar, E> const& dy, std::int64_t context) {
    check("backward", "dy", dy, context);
    auto const grad = table_grad_;
    auto const stride = context_;
    auto const sequences = static_cast<std::int64_t>(dy.extent(1)) / context;
    auto const mult = static_cast<Scalar>(rules_.multiplier);
    // One thread per table entry, summing over sequences in order: no atomics.
    Kokkos::parallel_for(
        "smup::PositionEmbedding::backward",
        Kokkos::MDRangePolicy<E, Kokkos::Rank<2>>({0, 0}, {width_, context_}),
        KOKKOS_LAMBDA(std::int64_t i, std::int64_t t) {
          Scalar sum = 0;
          if (t < context)
            for (std::int64_t b = 0; b < sequences; ++b) sum += dy(i, b * context + t);
          grad(i * stride + t) = mult * sum;
        });
  }

  /// Calls f(Tensor&) for the table.
  template <class F> void for_each_tensor(F&& f) {
    Tensor<Scalar, E> t{table_, table_grad_, rules_};
    f(t);
  }

  [[nodiscard]] StorageBytes storage_bytes(std::size_t optimizer_states = 0) const {
    auto const bytes = table_.span() * sizeof(Scalar);
    return {bytes, 0, optimizer_states * bytes};
  }

  [[nodiscard]] std::int64_t width() const { return width_; }
  [[nodiscard]] std::int64_t context() const { return context_; }
  [[nodiscard]] LayerHyperParams const& rules() const { return rules_; }
  /// Row-major [width][context]: entry (i, t) at i * context + t.
  [[nodiscard]] WeightValues<Scalar, E> const& table() const { return table_; }
  [[nodiscard]] WeightValues<Scalar, E> const& table_grad() const { return table_grad_; }

private:
  void check(char const* method, char const* name, Activations<Scalar, E> const& v,
             std::int64_t context) const {
    std::string const where = std::string("smup::PositionEmbedding::") + method + ": ";
    if (context < 1 || context > context_)
      detail::fail(where + "context " + std::to_string(context) + " is outside [1, " +
                   std::to_string(context_) +
                   "]. Pass the sequence length of this batch, at most the table's context.");
    if (static_cast<std::int64_t>(v.extent(0)) != width_ ||
        static_cast<std::int64_t>(v.extent(1)) % context != 0)
      detail::fail(where + name + " is " + std::to_string(v.extent(0)) + " x " +
                   std::to_string(v.extent(1)) + " but needs " + std::to_string(width_) +
                   " rows and a multiple of context = " + std::to_string(context) +
                   " columns. Pass " + name +
                   " of shape [width][batch * context], column b * context + t.");
  }

  std::int64_t width_;
  std::int64_t context_;
  LayerHyperParams rules_;
  WeightValues<Scalar, E> table_;
  WeightValues<Scalar, E> table_grad_;
};

} // namespace smup
