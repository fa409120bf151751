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
#include <smup/kernels/math.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>
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
  /// hold the two paths against each other.
  void use_generic_kernels(bool on) { generic_kernels_ = on; }
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
  using Team = typename Kokkos::TeamPolicy<E>::member_type;

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
  static constexpr bool host_kernels =
      Kokkos::SpaceAccessibility<E, Kokkos::HostSpace>::accessible &&
      Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename E::memory_space>::accessible;

  void attend() {
    if constexpr (host_kernels) {
      if (!generic_kernels_) return attend_host();
    }
    attend_team();
  }

  void attend_backward() {
    if constexpr (host_kernels) {
      if (!generic_kernels_) return attend_backward_host();
    }
    attend_backward_team();
  }

  // y[0, n) += a x[0, n): the host kernels' inner loop; no reduction, so it vectorises.
  static void axpy(std::int64_t n, Scalar a, Scalar const* KOKKOS_RESTRICT x,
                   Scalar* KOKKOS_RESTRICT y) {
    for (std::int64_t j = 0; j < n; ++j) y[j] += a * x[j];
  }

  // Team scratch of `words` scalars, 64-byte aligned.
  static std::size_t scratch_bytes(std::int64_t words) {
    return static_cast<std::size_t>(words) * sizeof(Scalar) + 64;
  }
  static Scalar* scratch(Team const& team, std::int64_t words) {
    auto const a =
        reinterpret_cast<std::uintptr_t>(team.team_scratch(1).get_shmem(scratch_bytes(words)));
    return reinterpret_cast<Scalar*>((a + 63) & ~std::uintptr_t{63});
  }

  // One single-thread team per (sequence, head). Its q, k, v rows are copied into a
  // compact buffer first: activation rows lie a power of two apart and would fight over
  // the same cache sets. Every sum keeps the team kernel's order (over i for logits, over
  // s for outputs), so the paths differ only where the compiler fuses multiply-adds.
  void attend_host() {
    auto const qkv = qkv_, out = heads_out_;
    auto const probs = probs_;
    auto const d = shape_.width, hd = shape_.head_dim, heads = heads_, T = context_;
    auto const scale = static_cast<Scalar>(scale_);
    auto const teams = static_cast<int>((columns_ / T) * heads);
    std::int64_t const words = 4 * hd * T;
    Kokkos::parallel_for(
        "smup::CausalSelfAttention::forward<host>",
        Kokkos::TeamPolicy<E>(teams, 1).set_scratch_size(1, Kokkos::PerTeam(scratch_bytes(words))),
        [=](Team const& team) {
          std::int64_t const b = team.league_rank() / heads, h = team.league_rank() % heads;
          std::int64_t const q0 = h * hd, k0 = d + h * hd, v0 = 2 * d + h * hd, first = b * T;
          Scalar* const q = scratch(team, words); // [i][t]
          Scalar* const k = q + hd * T;           // [i][s]
          Scalar* const vt = k + hd * T;          // [s][i]
          Scalar* const o = vt + hd * T;          // [t][i]
          for (std::int64_t i = 0; i < hd; ++i)
            for (std::int64_t t = 0; t < T; ++t) {
              q[i * T + t] = qkv(q0 + i, first + t);
              k[i * T + t] = qkv(k0 + i, first + t);
              vt[t * hd + i] = qkv(v0 + i, first + t);
            }
          for (std::int64_t t = 0; t < T; ++t) {
            Scalar* const p = &probs(b, h, t, 0);
            for (std::int64_t s = 0; s <= t; ++s) p[s] = 0;
            for (std::int64_t i = 0; i < hd; ++i) axpy(t + 1, q[i * T + t], k + i * T, p);
            Scalar top = 0;
            for (std::int64_t s = 0; s <= t; ++s) {
              Scalar const logit = scale * p[s];
              p[s] = logit;
              top = (s == 0 || logit > top) ? logit : top;
            }
            // Subtracting the row maximum keeps exp from overflowing.
            Scalar z = 0;
            for (std::int64_t s = 0; s <= t; ++s) {
              Scalar const e = detail::exp(p[s] - top);
              p[s] = e;
              z += e;
            }
            Scalar const inv_z = Scalar(1) / z;
            for (std::int64_t s = 0; s <= t; ++s) p[s] *= inv_z;
            for (std::int64_t s = t + 1; s < T; ++s) p[s] = 0;
            Scalar* const ot = o + t * hd;
            for (std::int64_t i = 0; i < hd; ++i) ot[i] = 0;
            for (std::int64_t s = 0; s <= t; ++s) axpy(hd, p[s], vt + s * hd, ot);
          }
          for (std::int64_t i = 0; i < hd; ++i)
            for (std::int64_t t = 0; t < T; ++t) out(q0 + i, first + t) = o[t * hd + i];
        });
  }

  // As attend_host: dp and dlogit by rows t, dq by rows as sums of k rows, and dk, dv as
  // sums over t of dlogit and p rows, each in the team kernel's order.
  void attend_backward_host() {
    auto const qkv = qkv_, d_out = d_heads_out_, d_qkv = d_qkv_;
    auto const probs = probs_, d_logits = d_logits_;
    auto const d = shape_.width, hd = shape_.head_dim, heads = heads_, T = context_;
    auto const scale = static_cast<Scalar>(scale_);
    auto const teams = static_cast<int>((columns_ / T) * heads);
    std::int64_t const words = 7 * hd * T;
    Kokkos::parallel_for(
        "smup::CausalSelfAttention::backward<host>",
        Kokkos::TeamPolicy<E>(teams, 1).set_scratch_size(1, Kokkos::PerTeam(scratch_bytes(words))),
        [=](Team const& team) {
          std::int64_t const b = team.league_rank() / heads, h = team.league_rank() % heads;
          std::int64_t const q0 = h * hd, k0 = d + h * hd, v0 = 2 * d + h * hd, first = b * T;
          Scalar* const v = scratch(team, words); // [i][s]
          Scalar* const qt = v + hd * T;          // [t][i]
          Scalar* const gt = qt + hd * T;         // d_out [t][i]
          Scalar* const kt = gt + hd * T;         // [s][i]
          Scalar* const dq = kt + hd * T;         // [t][i]
          Scalar* const dk = dq + hd * T;         // [s][i]
          Scalar* const dv = dk + hd * T;         // [s][i]
          for (std::int64_t i = 0; i < hd; ++i)
            for (std::int64_t t = 0; t < T; ++t) {
              v[i * T + t] = qkv(v0 + i, first + t);
              qt[t * hd + i] = qkv(q0 + i, first + t);
              gt[t * hd + i] = d_out(q0 + i, first + t);
              kt[t * hd + i] = qkv(k0 + i, first + t);
            }
          for (std::int64_t j = 0; j < 3 * hd * T; ++j) dq[j] = 0;
          for (std::int64_t t = 0; t < T; ++t) {
            Scalar const* const p = &probs(b, h, t, 0);
            Scalar* const dl = &d_logits(b, h, t, 0);
            // dp(t, s) = d_out_t . v_s; softmax backward: dlogit = p (dp - sum_s p dp).
            for (std::int64_t s = 0; s <= t; ++s) dl[s] = 0;
            for (std::int64_t i = 0; i < hd; ++i) axpy(t + 1, gt[t * hd + i], v + i * T, dl);
            Scalar p_dp = 0;
            for (std::int64_t s = 0; s <= t; ++s) p_dp += p[s] * dl[s];
            for (std::int64_t s = 0; s <= t; ++s) dl[s] = p[s] * (dl[s] - p_dp);
            // Row t adds to dq_t, and to dk_s and dv_s for every s <= t, in increasing t.
            for (std::int64_t s = 0; s <= t; ++s) {
              axpy(hd, dl[s], kt + s * hd, dq + t * hd);
              axpy(hd, dl[s], qt + t * hd, dk + s * hd);
              axpy(hd, p[s], gt + t * hd, dv + s * hd);
            }
          }
          for (std::int64_t i = 0; i < hd; ++i)
            for (std::int64_t t = 0; t < T; ++t) {
              d_qkv(q0 + i, first + t) = scale * dq[t * hd + i];
              d_qkv(k0 + i, first + t) = scale * dk[t * hd + i];
              d_qkv(v0 + i, first + t) = dv[t * hd + i];
            }
        });
  }

  // One team per (sequence, head), one thread per query position t: adjacent threads
  // read adjacent columns of q, and every thread reads the same k_s, v_s (a broadcast).
  void attend_team() {
    auto const qkv = qkv_, out = heads_out_;
    auto const probs = probs_;
    auto const d = shape_.width, hd = shape_.head_dim, heads = heads_, T = context_;
    auto const scale = static_cast<Scalar>(scale_);
    auto const teams = static_cast<int>((columns_ / T) * heads);
    Kokkos::parallel_for(
        "smup::CausalSelfAttention::forward", Kokkos::TeamPolicy<E>(teams, Kokkos::AUTO),
        KOKKOS_LAMBDA(Team const& team) {
          std::int64_t const b = team.league_rank() / heads, h = team.league_rank() % heads;
          std::int64_t const q0 = h * hd, k0 = d + h * hd, v0 = 2 * d + h * hd, first = b * T;
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, T), [&](std::int64_t t) {
            std::int64_t const c = first + t;
            Scalar top = 0;
            for (std::int64_t s = 0; s <= t; ++s) {
              Scalar dot = 0;
              for (std::int64_t i = 0; i < hd; ++i) dot += qkv(q0 + i, c) * qkv(k0 + i, first + s);
              Scalar const logit = scale * dot;
              probs(b, h, t, s) = logit;
              top = (s == 0 || logit > top) ? logit : top;
            }
            // Subtracting the row maximum keeps exp from overflowing.
            Scalar z = 0;
            for (std::int64_t s = 0; s <= t; ++s) {
              Scalar const e = detail::exp(probs(b, h, t, s) - top);
              probs(b, h, t, s) = e;
              z += e;
            }
            Scalar const inv_z = Scalar(1) / z;
            for (std::int64_t s = 0; s <= t; ++s) probs(b, h, t, s) *= inv_z;
            for (std::int64_t s = t + 1; s < T; ++s) probs(b, h, t, s) = 0;
            for (std::int64_t i = 0; i < hd; ++i) {
              Scalar acc = 0;
              for (std::int64_t s = 0; s <= t; ++s)
                acc += probs(b, h, t, s) * qkv(v0 + i, first + s);
              out(q0 + i, c) = acc;
            }
          });
        });
  }

  // From d_out = dL/d(heads' output): d_qkv. Rows first (dlogit and dq for each query t),
  // then, after a team barrier, columns (dk and dv for each key s): each thread owns the
  // entries it writes, so there are no atomics and the sums run in a fixed order.
  void attend_backward_team() {
    auto const qkv = qkv_, d_out = d_heads_out_, d_qkv = d_qkv_;
    auto const probs = probs_, d_logits = d_logits_;
    auto const d = shape_.width, hd = shape_.head_dim, heads = heads_, T = context_;
    auto const scale = static_cast<Scalar>(scale_);
    auto const teams = static_cast<int>((columns_ / T) * heads);
    Kokkos::parallel_for(
        "smup::CausalSelfAttention::backward", Kokkos::TeamPolicy<E>(teams, Kokkos::AUTO),
        KOKKOS_LAMBDA(Team const& team) {
          std::int64_t const b = team.league_rank() / heads, h = team.league_rank() % heads;
          std::int64_t const q0 = h * hd, k0 = d + h * hd, v0 = 2 * d + h * hd, first = b * T;
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, T), [&](std::int64_t t) {
            std::int64_t const c = first + t;
            // dp(t, s) = d_out_t . v_s; softmax backward: dlogit = p (dp - sum_s p dp).
            Scalar p_dp = 0;
            for (std::int64_t s = 0; s <= t; ++s) {
              Scalar dp = 0;
              for (std::int64_t i = 0; i < hd; ++i) dp += d_out(q0 + i, c) * qkv(v0 + i, first + s);
              d_logits(b, h, t, s) = dp;
              p_dp += probs(b, h, t, s) * dp;
            }
            for (std::int64_t s = 0; s <= t; ++s)
              d_logits(b, h, t, s) = probs(b, h, t, s) * (d_logits(b, h, t, s) - p_dp);
            for (std::int64_t i = 0; i < hd; ++i) {
              Scalar acc = 0;
              for (std::int64_t s = 0; s <= t; ++s)
                acc += d_logits(b, h, t, s) * qkv(k0 + i, first + s);
              d_qkv(q0 + i, c) = scale * acc;
            }
          });
          team.team_barrier(); // every dlogit of this (b, h) is written
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, T), [&](std::int64_t s) {
            std::int64_t const c = first + s;
            for (std::int64_t i = 0; i < hd; ++i) {
              Scalar dk = 0, dv = 0;
              for (std::int64_t t = s; t < T; ++t) {
                dk += d_logits(b, h, t, s) * qkv(q0 + i, first + t);
                dv += probs(b, h, t, s) * d_out(q0 + i, first + t);
              }
              d_qkv(k0 + i, c) = scale * dk;
              d_qkv(v0 + i, c) = dv;
            }
          });
        });
  }

  Shape shape_;
  std::int64_t heads_;
  double scale_;
  bool generic_kernels_ = false;
  Projection qkv_proj_;
  Projection out_proj_;

  std::int64_t columns_ = 0;
  std::int64_t context_ = 0;
  Matrix qkv_, heads_out_, d_qkv_, d_heads_out_;
  Probabilities probs_, d_logits_;
};

} // namespace smup
