#pragma once
/// smup::GPT<P, S>: a GPT-style byte-level language model. Token and learned position
/// embeddings, `blocks` pre-LayerNorm blocks (causal multi-head self-attention, then a
/// GELU MLP of 4x the width, each added to the residual stream), a final LayerNorm and
/// a readout, its own matrix or (Shape::tied_readout) the token embedding's table
/// transposed. Under SmuP the pattern S applies to the hidden matrices only (QKV,
/// attention output, MLP up and down); embeddings, norms and the readout stay dense.
///
///     smup::GPT<smup::SMuP, smup::Unstructured> model(
///         {.context = 64, .width = 256, .head_dim = 32, .blocks = 2, .density = {1, 16}},
///         smup::BaseShape{.width = 64}, hp, /*seed=*/7);
///     smup::AdamW<smup::SMuP> adam(model, {.beta1 = 0.9, .beta2 = 0.95});
///     double loss = model.train_step(tokens, targets, adam, /*max_grad_norm=*/1.0);
///
/// tokens and targets hold batch * context bytes, sequence b at b * context + t; the
/// activations are [features][batch * context].

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>
#include <smup/layers/activations.hpp>
#include <smup/layers/causal_attention.hpp>
#include <smup/layers/embedding.hpp>
#include <smup/layers/layer_norm.hpp>
#include <smup/layers/linear.hpp>
#include <smup/layers/residual.hpp>
#include <smup/layers/softmax_cross_entropy.hpp>
#include <smup/layers/tied_readout.hpp>
#include <smup/models/identity.hpp>
#include <smup/optim/clip.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/weight_tying.hpp>
#include <smup/sparsity/concepts.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup {

template <Parameterization P, SparsityPattern S, class E = Kokkos::DefaultExecutionSpace,
          class Scalar = float>
class GPT {
public:
  using parameterization = P;
  using pattern = S;
  using execution_space = E;
  using scalar_type = Scalar;
  using Matrix = Activations<Scalar, E>;
  using Tokens = Kokkos::View<int*, typename E::memory_space>;

  struct Shape {
    std::int64_t vocab = 256;
    std::int64_t context = 64;
    std::int64_t width = 0;
    std::int64_t head_dim = 32;
    int blocks = 2;
    ratio density = detail::default_density<S>(); ///< of every hidden matrix
    bool bias = true;
    /// The readout reuses the token embedding's table (one tensor, the input role's init
    /// and learning rates, the output role's multiplier); needs ties_input_and_output<P>.
    bool tied_readout = false;
  };

  /// One named output whose mean |x| the coordinate check follows.
  struct NamedOutput {
    std::string name;
    Matrix values;
  };

  GPT(Shape shape, BaseShape base, HyperParams const& hp, std::uint64_t seed)
      : shape_(checked(shape)), base_(base), hp_(smup::checked(hp)), seed_(seed),
        embedding_(shape.width, shape.vocab, base, hp, detail::counter_hash(seed, 2, 0)),
        position_(shape.width, shape.context, base, hp, detail::counter_hash(seed, 2, 1)),
        final_norm_(shape.width, base, hp) {
    blocks_.reserve(static_cast<std::size_t>(shape.blocks));
    for (int l = 0; l < shape.blocks; ++l) blocks_.emplace_back(shape, base, hp, seed, l);
    if constexpr (ties_input_and_output<P>)
      if (shape.tied_readout) {
        tied_readout_.emplace(embedding_, base, hp, shape.bias);
        return;
      }
    readout_.emplace(
        typename Readout::Shape{.in = shape.width, .out = shape.vocab, .bias = shape.bias}, base,
        hp, detail::counter_hash(seed, 2, 2));
  }

  /// Logits [vocab][tokens.size()]; valid until the next call.
  Matrix const& forward(Tokens const& tokens) {
    ensure_columns(static_cast<std::int64_t>(tokens.extent(0)));
    auto const T = shape_.context;
    embedding_.forward(tokens, stream_[0]);
    position_.forward_add(stream_[0], T);
    for (std::size_t l = 0; l < blocks_.size(); ++l) {
      auto& b = blocks_[l];
      b.norm1.forward(stream_[l], b.a);
      b.attention.forward(b.a, b.att, T);
      residual_add(stream_[l], b.att, b.h);
      b.norm2.forward(b.h, b.n);
      b.up.forward(b.n, b.u);
      GELU::forward(b.u, b.g);
      b.down.forward(b.g, b.m);
      residual_add(b.h, b.m, stream_[l + 1]);
    }
    final_norm_.forward(stream_.back(), final_);
    on_readout(*this, [&](auto& readout) { readout.forward(final_, logits_); });
    return logits_;
  }

  /// Forward, loss, backward and one optimizer step; returns the mean loss per token.
  /// A positive max_grad_norm clips the global gradient norm first.
  template <class Optimizer> double train_step(Tokens const& tokens, Tokens const& targets,
                                               Optimizer& optimizer, double max_grad_norm = 0.0) {
    double const loss = loss_and_gradients(tokens, targets);
    if (max_grad_norm > 0) clip_grad_norm(*this, max_grad_norm);
    optimizer.step(*this);
    return loss;
  }

  /// The mean loss per token, with every gradient overwritten by its gradient; the
  /// weights do not change. The first half of train_step, for gradient accumulation and
  /// data parallelism, which combine gradients before one optimizer step.
  double loss_and_gradients(Tokens const& tokens, Tokens const& targets) {
    double const loss = loss_of(tokens, targets);
    backward(tokens);
    return loss;
  }

  /// Mean loss per token, without touching the weights or gradients.
  double evaluate(Tokens const& tokens, Tokens const& targets) { return loss_of(tokens, targets); }

  /// Gradients of the loss whose d_logits the last forward_backward left; used by
  /// train_step, public for gradient checks.
  void backward(Tokens const& tokens) {
    auto const T = shape_.context;
    on_readout(*this, [&](auto& readout) { readout.backward(final_, d_logits_, d_tmp_); });
    final_norm_.backward(stream_.back(), d_tmp_, d_stream_);
    for (std::size_t l = blocks_.size(); l-- > 0;) {
      auto& b = blocks_[l];
      // stream[l+1] = h + m: both branches receive d_stream.
      b.down.backward(b.g, d_stream_, d_wide_);
      GELU::backward(b.u, d_wide_, d_wide_);
      b.up.backward(b.n, d_wide_, d_tmp_);
      b.norm2.backward(b.h, d_tmp_, d_tmp2_);
      accumulate(d_stream_, d_tmp2_); // now dL/dh
      // h = stream[l] + att.
      b.attention.backward(b.a, d_stream_, d_tmp_);
      b.norm1.backward(stream_[l], d_tmp_, d_tmp2_);
      accumulate(d_stream_, d_tmp2_); // now dL/dstream[l]
    }
    position_.backward(d_stream_, T);
    // A tied table already holds the readout's share of its gradient.
    embedding_.backward(tokens, d_stream_,
                        tied_readout_ ? GradientWrite::accumulate : GradientWrite::overwrite);
  }

  /// The outputs the coordinate check follows, after the last forward: the embedding
  /// (token + position), each block's attention and MLP branch, and the logits.
  [[nodiscard]] std::vector<NamedOutput> layer_outputs() const {
    std::vector<NamedOutput> out{{"embedding", stream_.front()}};
    for (std::size_t l = 0; l < blocks_.size(); ++l) {
      out.push_back({"attention." + std::to_string(l + 1), blocks_[l].att});
      out.push_back({"mlp." + std::to_string(l + 1), blocks_[l].m});
    }
    out.push_back({"readout", logits_});
    return out;
  }

  /// Every trainable tensor, in a fixed order: embeddings, blocks, final norm, readout
  /// (a tied readout hands out its bias only; the table came with the embedding).
  template <class F> void for_each_tensor(F&& f) {
    embedding_.for_each_tensor(f);
    position_.for_each_tensor(f);
    for (auto& b : blocks_) {
      b.norm1.for_each_tensor(f);
      b.attention.for_each_tensor(f);
      b.norm2.for_each_tensor(f);
      b.up.for_each_tensor(f);
      b.down.for_each_tensor(f);
    }
    final_norm_.for_each_tensor(f);
    on_readout(*this, [&](auto& readout) { readout.for_each_tensor(f); });
  }

  /// Memory of all parameters (with the sparse layers' indices) and `optimizer_states`
  /// arrays of optimizer state per tensor (2 for Adam); activations are not counted.
  [[nodiscard]] StorageBytes storage_bytes(std::size_t optimizer_states = 0) const {
    auto bytes = embedding_.storage_bytes(optimizer_states);
    bytes += position_.storage_bytes(optimizer_states);
    for (auto const& b : blocks_) {
      bytes += b.norm1.storage_bytes(optimizer_states);
      bytes += b.attention.storage_bytes(optimizer_states);
      bytes += b.norm2.storage_bytes(optimizer_states);
      bytes += b.up.storage_bytes(optimizer_states);
      bytes += b.down.storage_bytes(optimizer_states);
    }
    bytes += final_norm_.storage_bytes(optimizer_states);
    bytes += on_readout(
        *this, [&](auto const& readout) { return readout.storage_bytes(optimizer_states); });
    return bytes;
  }

  [[nodiscard]] Shape const& shape() const { return shape_; }
  /// The base hyper-parameters every layer's rules came from; optimizers check theirs
  /// against them.
  [[nodiscard]] HyperParams const& hyperparams() const { return hp_; }

  /// Calls f(weights) for each hidden matrix, the ones that may be sparse, in order:
  /// per block QKV, attention output, MLP up, MLP down.
  template <class F> void for_each_hidden_weights(F&& f) const {
    for (auto const& b : blocks_) {
      b.attention.for_each_hidden_weights(f);
      f(b.up.weights());
      f(b.down.weights());
    }
  }

  /// Everything a checkpoint must agree on (smup/models/identity.hpp).
  [[nodiscard]] Identity identity() const {
    auto id = model_identity<P, S>("GPT", shape_.density, base_, hp_, seed_);
    id.insert(id.begin() + 1, {{"vocab", std::to_string(shape_.vocab)},
                               {"context", std::to_string(shape_.context)},
                               {"width", std::to_string(shape_.width)},
                               {"head_dim", std::to_string(shape_.head_dim)},
                               {"blocks", std::to_string(shape_.blocks)},
                               {"bias", shape_.bias ? "true" : "false"},
                               {"tied_readout", shape_.tied_readout ? "true" : "false"}});
    return id;
  }
  [[nodiscard]] Matrix const& d_logits() const { return d_logits_; }

private:
  using Hidden = Linear<P, S, E, Scalar, Role::hidden>;
  using Readout = Linear<P, Dense, E, Scalar, Role::output>;

  /// f(the readout in use): both kinds share forward, backward, for_each_tensor and
  /// storage_bytes. Self is GPT or GPT const.
  template <class Self, class F> static decltype(auto) on_readout(Self& self, F&& f) {
    if (self.tied_readout_) return f(*self.tied_readout_);
    return f(*self.readout_);
  }

  struct Block {
    LayerNorm<P, E, Scalar> norm1, norm2;
    CausalSelfAttention<P, S, E, Scalar> attention;
    Hidden up, down;
    Matrix a, att, h, n, u, g, m; // forward intermediates kept for backward

    Block(Shape const& s, BaseShape base, HyperParams const& hp, std::uint64_t seed, int l)
        : norm1(s.width, base, hp), norm2(s.width, base, hp),
          attention(
              {.width = s.width, .head_dim = s.head_dim, .bias = s.bias, .density = s.density},
              base, hp, detail::counter_hash(seed, 3, static_cast<std::uint64_t>(l))),
          up({.in = s.width, .out = 4 * s.width, .density = s.density, .bias = s.bias}, base, hp,
             detail::counter_hash(seed, 4, static_cast<std::uint64_t>(l))),
          // Its fan-in is 4 d, so its width multiplier is 4 d / (4 d_base).
          down({.in = 4 * s.width, .out = s.width, .density = s.density, .bias = s.bias},
               BaseShape{.width = 4 * base.width, .density = base.density}, hp,
               detail::counter_hash(seed, 5, static_cast<std::uint64_t>(l))) {}
  };

  // The step's one blocking read is the loss. Inputs are validated only when it is not
  // finite (a bad label throws inside forward_backward, a bad token here), before any
  // gradient or weight changes; a finite loss proves every token was in range.
  double loss_of(Tokens const& tokens, Tokens const& targets) {
    forward(tokens);
    double const loss = SoftmaxCrossEntropy::forward_backward(logits_, targets, d_logits_);
    if (!std::isfinite(loss)) embedding_.check_tokens(tokens);
    return loss;
  }

  static Shape const& checked(Shape const& s) {
    if (s.vocab < 1 || s.context < 1 || s.width < 1 || s.head_dim < 1 || s.blocks < 1)
      detail::fail("smup::GPT: vocab, context, width, head_dim and blocks must all be at least 1 "
                   "(got vocab " +
                   std::to_string(s.vocab) + ", context " + std::to_string(s.context) + ", width " +
                   std::to_string(s.width) + ", head_dim " + std::to_string(s.head_dim) +
                   ", blocks " + std::to_string(s.blocks) + "). Pass positive sizes.");
    if (s.tied_readout && !ties_input_and_output<P>)
      detail::fail(std::string("smup::GPT: Shape::tied_readout is set under ") +
                   std::string(P::name) + ". " + SMUP_DIAG_TIED_READOUT_RULES);
    return s;
  }

  void ensure_columns(std::int64_t columns) {
    if (columns < 1 || columns % shape_.context != 0)
      detail::fail("smup::GPT: " + std::to_string(columns) +
                   " tokens is not a whole number of sequences of context " +
                   std::to_string(shape_.context) + ". Pass batch * context tokens.");
    if (columns == columns_) return;
    columns_ = columns;
    auto const d = shape_.width, wide = 4 * shape_.width;
    stream_.assign(blocks_.size() + 1, Matrix());
    for (auto& s : stream_) s = Matrix("smup::GPT::stream", d, columns);
    for (auto& b : blocks_) {
      b.a = Matrix("smup::GPT::a", d, columns);
      b.att = Matrix("smup::GPT::att", d, columns);
      b.h = Matrix("smup::GPT::h", d, columns);
      b.n = Matrix("smup::GPT::n", d, columns);
      b.u = Matrix("smup::GPT::u", wide, columns);
      b.g = Matrix("smup::GPT::g", wide, columns);
      b.m = Matrix("smup::GPT::m", d, columns);
    }
    final_ = Matrix("smup::GPT::final", d, columns);
    logits_ = Matrix("smup::GPT::logits", shape_.vocab, columns);
    d_logits_ = Matrix("smup::GPT::d_logits", shape_.vocab, columns);
    d_stream_ = Matrix("smup::GPT::d_stream", d, columns);
    d_tmp_ = Matrix("smup::GPT::d_tmp", d, columns);
    d_tmp2_ = Matrix("smup::GPT::d_tmp2", d, columns);
    d_wide_ = Matrix("smup::GPT::d_wide", wide, columns);
  }

  Shape shape_;
  BaseShape base_;
  HyperParams hp_;
  std::uint64_t seed_;
  Embedding<P, E, Scalar> embedding_;
  PositionEmbedding<P, E, Scalar> position_;
  std::vector<Block> blocks_;
  LayerNorm<P, E, Scalar> final_norm_;
  std::optional<Readout> readout_;                        // one of these two is set
  std::optional<TiedReadout<P, E, Scalar>> tied_readout_; // (constructed only if P can tie)

  std::int64_t columns_ = 0;
  std::vector<Matrix> stream_; // residual stream before each block and after the last
  Matrix final_, logits_, d_logits_, d_stream_, d_tmp_, d_tmp2_, d_wide_;
};

} // namespace smup
