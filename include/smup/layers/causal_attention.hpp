#pragma once
/// smup::CausalSelfAttention<P, S, E, Scalar>: multi-head causal self-attention of a
/// GPT-style block. A fused QKV projection (d -> 3d) and an output projection (d -> d)
/// are hidden smup::Linear layers, so under a sparse S they store and multiply only
/// their kept weights and under SmuP their init and learning rates follow the density.
///
///     smup::CausalSelfAttention<smup::SMuP, smup::Unstructured> attention(
///         {.width = 256, .head_dim = 32, .density = {1, 8}}, base, hp, /*seed=*/7);
///     attention.forward(x, y, /*context=*/64);   // x, y: [width][batch * 64]
///     attention.backward(x, dy, dx);              // overwrites both projections' gradients
///
/// Per sequence b and head h, with q, k, v the head's rows of Wqkv x:
/// logits(t, s) = scale * q_t . k_s for s <= t, p = softmax over s, out_t = sum_s p(t, s) v_s,
/// y = Wout out. scale = attention_scale<P>(head_dim): 1/sqrt(head_dim) in SP, 1/head_dim
/// in muP and SmuP. Columns are c = b * context + t. forward keeps what backward needs
/// (QKV, the probabilities, the heads' output), so backward must get the x of the last
/// forward. y may alias x and dx may alias dy.

#include <cstddef>
#include <cstdint>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/kernels/host_path.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>
#include <smup/layers/attention_kernels.hpp>
#include <smup/layers/linear.hpp>
#include <smup/parameterization/attention.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/shape.hpp>
#include <smup/sparsity/concepts.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup {

template <Parameterization P, SparsityPattern S, class E = Kokkos::DefaultExecutionSpace,
          class Scalar = float>
class CausalSelfAttention {
public:
  using parameterization = P;
  using pattern = S;
  using execution_space = E;
  using scalar_type = Scalar;
  using Projection = Linear<P, S, E, Scalar, Role::hidden>;
  using Matrix = Activations<Scalar, E>;
  /// Attention probabilities [sequence][head][query t][key s], zero above the diagonal.
  using Probabilities = Kokkos::View<Scalar****, Kokkos::LayoutRight, typename E::memory_space>;

  struct Shape {
    std::int64_t width = 0;     ///< model width d
    std::int64_t head_dim = 32; ///< must divide the width; heads = width / head_dim
    bool bias = true;           ///< biases on both projections
    ratio density = detail::default_density<S>(); ///< of both projections
  };

  CausalSelfAttention(Shape shape, BaseShape base, HyperParams const& hp, std::uint64_t seed)
      : shape_(checked(shape)), heads_(shape.width / shape.head_dim),
        scale_(attention_scale<P>(shape.head_dim)),
        // Each projection draws its mask and values from a seed of its own.
        qkv_proj_({.in = shape.width,
                   .out = 3 * shape.width,
                   .density = shape.density,
                   .bias = shape.bias},
                  base, hp, detail::counter_hash(seed, 0xa77e, 0)),
        out_proj_(
            {.in = shape.width, .out = shape.width, .density = shape.density, .bias = shape.bias},
            base, hp, detail::counter_hash(seed, 0xa77e, 1)) {}

  /// y = Wout attention(Wqkv x).   x, y: [width][batch * context].
  void forward(Matrix const& x, Matrix const& y, std::int64_t context) {
    check_rows("forward", "x", x);
    check_same_shape("forward", "y", y, x);
    auto const columns = static_cast<std::int64_t>(x.extent(1));
    if (context < 1 || columns < 1 || columns % context != 0)
      detail::fail("smup::CausalSelfAttention::forward: x has " + std::to_string(columns) +
                   " column(s), not a positive multiple of the context " + std::to_string(context) +
                   ". Pass batch * context columns, sequence b at b * context + t.");
    ensure_buffers(columns, context);
    qkv_proj_.forward(x, qkv_);
    attend();
    out_proj_.forward(heads_out_, y);
  }

  /// From dy = dL/dy: overwrites the gradients of both projections and, when dx is not
  /// empty, writes dx = dL/dx. x must be the input of the last forward.
  void backward(Matrix const& x, Matrix const& dy, Matrix const& dx) {
    check_rows("backward", "x", x);
    check_same_shape("backward", "dy", dy, x);
    bool const want_dx = dx.data() != nullptr;
    if (want_dx) check_same_shape("backward", "dx", dx, x);
    if (columns_ == 0 || static_cast<std::int64_t>(x.extent(1)) != columns_)
      detail::fail("smup::CausalSelfAttention::backward: the last forward saw " +
                   std::to_string(columns_) + " column(s), x has " + std::to_string(x.extent(1)) +
                   ". Call forward on this x before backward; backward reuses its attention.");
    if (d_qkv_.extent(1) != qkv_.extent(1)) {
      d_qkv_ = Matrix("smup::CausalSelfAttention::d_qkv", qkv_.extent(0), qkv_.extent(1));
      d_heads_out_ = Matrix("smup::CausalSelfAttention::d_heads_out", heads_out_.extent(0),
                            heads_out_.extent(1));
      d_logits_ = Probabilities("smup::CausalSelfAttention::d_logits", probs_.extent(0),
                                probs_.extent(1), probs_.extent(2), probs_.extent(3));
    }
    out_proj_.backward(heads_out_, dy, d_heads_out_);
    attend_backward();
    qkv_proj_.backward(x, d_qkv_, dx);
  }

  /// Calls f(Tensor&) for the QKV projection's tensors, then the output projection's.
  /// Calls f(weights) for the QKV projection, then the output projection.
  template <class F> void for_each_hidden_weights(F&& f) const {
    f(qkv_proj_.weights());
    f(out_proj_.weights());
  }

  template <class F> void for_each_tensor(F&& f) {
    qkv_proj_.for_each_tensor(f);
    out_proj_.for_each_tensor(f);
  }

  /// Memory of both projections, with `optimizer_states` arrays of state per tensor.
  [[nodiscard]] StorageBytes storage_bytes(std::size_t optimizer_states = 0) const {
    auto bytes = qkv_proj_.storage_bytes(optimizer_states);
    bytes += out_proj_.storage_bytes(optimizer_states);
    return bytes;
  }
  /// The sparse projections' index structures (0 for Dense).
  [[nodiscard]] std::size_t index_bytes() const { return storage_bytes().indices; }

  [[nodiscard]] Shape const& shape() const { return shape_; }
  [[nodiscard]] std::int64_t heads() const { return heads_; }
  /// The logit scale, attention_scale<P>(head_dim).
  [[nodiscard]] double scale() const { return scale_; }
  /// Runs the team-policy kernels that GPU backends use even on a host space, so tests can
  /// hold the two paths against each other; team_size > 0 fixes the threads per team
  /// (0: Kokkos chooses), so a host run exercises the team barriers too.
  void use_generic_kernels(bool on, int team_size = 0) {
    generic_team_size_ = on ? (team_size > 0 ? team_size : 0) : -1;
  }
  [[nodiscard]] Projection const& qkv_projection() const { return qkv_proj_; }
  [[nodiscard]] Projection& qkv_projection() { return qkv_proj_; }
  [[nodiscard]] Projection const& output_projection() const { return out_proj_; }
  [[nodiscard]] Projection& output_projection() { return out_proj_; }
  /// Of the last forward: Wqkv x [3 width][columns], the probabilities, and the heads'
  /// output before the output projection [width][columns].
  [[nodiscard]] Matrix const& qkv() const { return qkv_; }
  [[nodiscard]] Probabilities const& probabilities() const { return probs_; }
  [[nodiscard]] Matrix const& heads_output() const { return heads_out_; }

private:
  // Checked before any member is built, so a bad shape never reaches an allocation.
  static Shape const& checked(Shape const& s) {
    if (s.width < 1 || s.head_dim < 1)
      detail::fail("smup::CausalSelfAttention::CausalSelfAttention: width and head_dim must be "
                   "at least 1 (got width " +
                   std::to_string(s.width) + ", head_dim " + std::to_string(s.head_dim) +
                   "). Pass positive sizes.");
    if (s.width % s.head_dim != 0)
      detail::fail("smup::CausalSelfAttention::CausalSelfAttention: width " +
                   std::to_string(s.width) + " is not divisible by head_dim " +
                   std::to_string(s.head_dim) +
                   ". Pick a head_dim that divides the width; heads = width / head_dim.");
    return s;
  }

  void check_rows(char const* method, char const* name, Matrix const& v) const {
    if (static_cast<std::int64_t>(v.extent(0)) != shape_.width)
      detail::fail(std::string("smup::CausalSelfAttention::") + method + ": " + name + " has " +
                   std::to_string(v.extent(0)) + " feature row(s), the layer's width is " +
                   std::to_string(shape_.width) + ". Pass [width][batch * context] activations.");
  }

  static void check_same_shape(char const* method, char const* name, Matrix const& v,
                               Matrix const& x) {
    if (v.extent(0) != x.extent(0) || v.extent(1) != x.extent(1))
      detail::fail(std::string("smup::CausalSelfAttention::") + method + ": " + name + " is " +
                   std::to_string(v.extent(0)) + " x " + std::to_string(v.extent(1)) + ", x is " +
                   std::to_string(x.extent(0)) + " x " + std::to_string(x.extent(1)) + ". Pass " +
                   name + " of the shape of x.");
  }

  // Sized for the last call; the backward buffers follow lazily in backward.
  void ensure_buffers(std::int64_t columns, std::int64_t context) {
    if (columns == columns_ && context == context_) return;
    columns_ = columns;
    context_ = context;
    auto const d = static_cast<std::size_t>(shape_.width);
    auto const n = static_cast<std::size_t>(columns);
    auto const t = static_cast<std::size_t>(context);
    qkv_ = Matrix("smup::CausalSelfAttention::qkv", 3 * d, n);
    heads_out_ = Matrix("smup::CausalSelfAttention::heads_out", d, n);
    probs_ = Probabilities("smup::CausalSelfAttention::probabilities", n / t,
                           static_cast<std::size_t>(heads_), t, t);
    d_qkv_ = Matrix();
    d_heads_out_ = Matrix();
    d_logits_ = Probabilities();
  }

  // Host spaces get kernels whose inner loops run over contiguous entries; the team
  // kernels' per-position dot products stride a whole activation row per step.
  static constexpr bool host_kernels = detail::executes_on_host<E> && detail::has_host_memory<E>;

  void attend() {
    if constexpr (host_kernels) {
      if (generic_team_size_ < 0) return detail::attention_forward_host<E>(state());
    }
    detail::attention_forward_team<E>(state(), generic_team_size_ < 0 ? 0 : generic_team_size_);
  }

  void attend_backward() {
    if constexpr (host_kernels) {
      if (generic_team_size_ < 0) return detail::attention_backward_host<E>(state());
    }
    detail::attention_backward_team<E>(state(), generic_team_size_ < 0 ? 0 : generic_team_size_);
  }

  detail::AttentionState<Scalar, E> state() const {
    return {.qkv = qkv_,
            .heads_out = heads_out_,
            .d_qkv = d_qkv_,
            .d_heads_out = d_heads_out_,
            .probs = probs_,
            .d_logits = d_logits_,
            .width = shape_.width,
            .head_dim = shape_.head_dim,
            .heads = heads_,
            .context = context_,
            .columns = columns_,
            .scale = static_cast<Scalar>(scale_)};
  }

  Shape shape_;
  std::int64_t heads_;
  double scale_;
  int generic_team_size_ = -1; ///< < 0: the host kernels where E allows them
  Projection qkv_proj_;
  Projection out_proj_;

  std::int64_t columns_ = 0;
  std::int64_t context_ = 0;
  Matrix qkv_, heads_out_, d_qkv_, d_heads_out_;
  Probabilities probs_, d_logits_;
};

} // namespace smup
