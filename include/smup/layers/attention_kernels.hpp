#pragma once
/// The attention kernels of smup::CausalSelfAttention, as free functions: host kernels
/// whose inner loops run over contiguous entries, and team kernels for any backend (a
/// team per sequence and head, a thread per position). The layer picks one; tests run
/// both, the team kernels with more than one thread per team.
///
///     smup::detail::AttentionState<float, E> a{...};  // buffers and sizes of one call
///     smup::detail::attention_forward_team<E>(a, /*team_size=*/0);  // 0: Kokkos::AUTO
///     smup::detail::attention_backward_team<E>(a);
///
/// Per sequence b and head h: logits(t, s) = scale * q_t . k_s for s <= t, p = softmax
/// over s, out_t = sum_s p(t, s) v_s. Columns are c = b * context + t; the heads' rows
/// of qkv are [q; k; v], each width rows.

#include <cstddef>
#include <cstdint>

#include <Kokkos_Core.hpp>

#include <smup/kernels/math.hpp>
#include <smup/kernels/views.hpp>

namespace smup::detail {

/// Everything one forward or backward call reads and writes.
template <class Scalar, class E> struct AttentionState {
  /// [sequence][head][query t][key s], zero above the diagonal.
  using Probabilities = Kokkos::View<Scalar****, Kokkos::LayoutRight, typename E::memory_space>;
  Activations<Scalar, E> qkv;         ///< [3 width][columns]
  Activations<Scalar, E> heads_out;   ///< [width][columns]
  Activations<Scalar, E> d_qkv;       ///< backward only
  Activations<Scalar, E> d_heads_out; ///< backward only
  Probabilities probs;
  Probabilities d_logits; ///< backward only
  std::int64_t width = 0;
  std::int64_t head_dim = 0;
  std::int64_t heads = 0;
  std::int64_t context = 0; ///< sequence length T
  std::int64_t columns = 0; ///< sequences * T
  Scalar scale = 1;         ///< of the logits
};

/// A league of `teams`; team_size 0 lets Kokkos choose.
template <class E> Kokkos::TeamPolicy<E> attention_policy(int teams, int team_size) {
  return team_size > 0 ? Kokkos::TeamPolicy<E>(teams, team_size)
                       : Kokkos::TeamPolicy<E>(teams, Kokkos::AUTO);
}

// y[j] += sum over s in [s0, s1) of coef[s * coef_stride] * x[s * ldx + j], j in [0, n):
// the host kernels' inner loop. Each sum runs in increasing s, as the team kernels' do,
// with W entries of y held in registers across the s loop instead of stored at every s.
template <int W, class Scalar>
void attention_rows_sum_chunk(std::int64_t j0, std::int64_t s0, std::int64_t s1, Scalar const* coef,
                              std::int64_t coef_stride, Scalar const* KOKKOS_RESTRICT x,
                              std::int64_t ldx, Scalar* KOKKOS_RESTRICT y) {
  Scalar acc[W];
  for (int j = 0; j < W; ++j) acc[j] = y[j0 + j];
  for (std::int64_t s = s0; s < s1; ++s) {
    Scalar const c = coef[s * coef_stride];
    Scalar const* const xs = x + s * ldx + j0;
    for (int j = 0; j < W; ++j) acc[j] += c * xs[j];
  }
  for (int j = 0; j < W; ++j) y[j0 + j] = acc[j];
}

template <class Scalar> void attention_rows_sum(std::int64_t n, std::int64_t s0, std::int64_t s1,
                                                Scalar const* coef, std::int64_t coef_stride,
                                                Scalar const* x, std::int64_t ldx, Scalar* y) {
  std::int64_t j0 = 0;
  for (; j0 + 32 <= n; j0 += 32)
    attention_rows_sum_chunk<32>(j0, s0, s1, coef, coef_stride, x, ldx, y);
  for (; j0 + 8 <= n; j0 += 8)
    attention_rows_sum_chunk<8>(j0, s0, s1, coef, coef_stride, x, ldx, y);
  for (; j0 < n; ++j0) attention_rows_sum_chunk<1>(j0, s0, s1, coef, coef_stride, x, ldx, y);
}

// Team scratch of `words` scalars, 64-byte aligned.
template <class Scalar> std::size_t attention_scratch_bytes(std::int64_t words) {
  return static_cast<std::size_t>(words) * sizeof(Scalar) + 64;
}
template <class Scalar, class Team>
Scalar* attention_scratch(Team const& team, std::int64_t words) {
  auto const a = reinterpret_cast<std::uintptr_t>(
      team.team_scratch(1).get_shmem(attention_scratch_bytes<Scalar>(words)));
  return reinterpret_cast<Scalar*>((a + 63) & ~std::uintptr_t{63});
}

// One single-thread team per (sequence, head). Its q, k, v rows are copied into a
// compact buffer first: activation rows lie a power of two apart and would fight over
// the same cache sets. Every sum keeps the team kernel's order (over i for logits, over
// s for outputs), so the paths differ only where the compiler fuses multiply-adds.
template <class E, class Scalar> void attention_forward_host(AttentionState<Scalar, E> const& a) {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  auto const qkv = a.qkv, out = a.heads_out;
  auto const probs = a.probs;
  auto const d = a.width, hd = a.head_dim, heads = a.heads, T = a.context;
  auto const scale = a.scale;
  auto const teams = static_cast<int>((a.columns / T) * heads);
  std::int64_t const words = 4 * hd * T;
  Kokkos::parallel_for("smup::CausalSelfAttention::forward<host>",
                       Kokkos::TeamPolicy<E>(teams, 1).set_scratch_size(
                           1, Kokkos::PerTeam(attention_scratch_bytes<Scalar>(words))),
                       [=](Team const& team) {
                         std::int64_t const b = team.league_rank() / heads,
                                            h = team.league_rank() % heads;
                         std::int64_t const q0 = h * hd, k0 = d + h * hd, v0 = 2 * d + h * hd,
                                            first = b * T;
                         Scalar* const q = attention_scratch<Scalar>(team, words); // [i][t]
                         Scalar* const k = q + hd * T;                             // [i][s]
                         Scalar* const vt = k + hd * T;                            // [s][i]
                         Scalar* const o = vt + hd * T;                            // [t][i]
                         for (std::int64_t i = 0; i < hd; ++i)
                           for (std::int64_t t = 0; t < T; ++t) {
                             q[i * T + t] = qkv(q0 + i, first + t);
                             k[i * T + t] = qkv(k0 + i, first + t);
                             vt[t * hd + i] = qkv(v0 + i, first + t);
                           }
                         for (std::int64_t t = 0; t < T; ++t) {
                           Scalar* const p = &probs(b, h, t, 0);
                           for (std::int64_t s = 0; s <= t; ++s) p[s] = 0;
                           attention_rows_sum(t + 1, 0, hd, q + t, T, k, T, p);
                           Scalar top = 0;
                           for (std::int64_t s = 0; s <= t; ++s) {
                             Scalar const logit = scale * p[s];
                             p[s] = logit;
                             top = (s == 0 || logit > top) ? logit : top;
                           }
                           // Subtracting the row maximum keeps exp from overflowing.
                           // The exponentials in a loop of their own vectorise; the sum
                           // keeps its order.
                           for (std::int64_t s = 0; s <= t; ++s)
                             p[s] = detail::exp_vectorisable(p[s] - top);
                           Scalar z = 0;
                           for (std::int64_t s = 0; s <= t; ++s) z += p[s];
                           Scalar const inv_z = Scalar(1) / z;
                           for (std::int64_t s = 0; s <= t; ++s) p[s] *= inv_z;
                           for (std::int64_t s = t + 1; s < T; ++s) p[s] = 0;
                           Scalar* const ot = o + t * hd;
                           for (std::int64_t i = 0; i < hd; ++i) ot[i] = 0;
                           attention_rows_sum(hd, 0, t + 1, p, 1, vt, hd, ot);
                         }
                         for (std::int64_t i = 0; i < hd; ++i)
                           for (std::int64_t t = 0; t < T; ++t)
                             out(q0 + i, first + t) = o[t * hd + i];
                       });
}

// As attend_host: dp and dlogit by rows t, dq by rows as sums of k rows, and dk, dv as
// sums over t of dlogit and p rows, each in the team kernel's order.
template <class E, class Scalar> void attention_backward_host(AttentionState<Scalar, E> const& a) {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  auto const qkv = a.qkv, d_out = a.d_heads_out, d_qkv = a.d_qkv;
  auto const probs = a.probs, d_logits = a.d_logits;
  auto const d = a.width, hd = a.head_dim, heads = a.heads, T = a.context;
  auto const scale = a.scale;
  auto const teams = static_cast<int>((a.columns / T) * heads);
  std::int64_t const words = 7 * hd * T;
  Kokkos::parallel_for(
      "smup::CausalSelfAttention::backward<host>",
      Kokkos::TeamPolicy<E>(teams, 1).set_scratch_size(
          1, Kokkos::PerTeam(attention_scratch_bytes<Scalar>(words))),
      [=](Team const& team) {
        std::int64_t const b = team.league_rank() / heads, h = team.league_rank() % heads;
        std::int64_t const q0 = h * hd, k0 = d + h * hd, v0 = 2 * d + h * hd, first = b * T;
        Scalar* const v = attention_scratch<Scalar>(team, words); // [i][s]
        Scalar* const qt = v + hd * T;                            // [t][i]
        Scalar* const gt = qt + hd * T;                           // d_out [t][i]
        Scalar* const kt = gt + hd * T;                           // [s][i]
        Scalar* const dq = kt + hd * T;                           // [t][i]
        Scalar* const dk = dq + hd * T;                           // [s][i]
        Scalar* const dv = dk + hd * T;                           // [s][i]
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
          // dp(t, s) = d_out_t . v_s; softmax backward: dlogit = p (dp - sum_s p
          // dp).
          for (std::int64_t s = 0; s <= t; ++s) dl[s] = 0;
          attention_rows_sum(t + 1, 0, hd, gt + t * hd, 1, v, T, dl);
          Scalar p_dp = 0;
          for (std::int64_t s = 0; s <= t; ++s) p_dp += p[s] * dl[s];
          for (std::int64_t s = 0; s <= t; ++s) dl[s] = p[s] * (dl[s] - p_dp);
          // dq_t: a sum of k rows over s <= t.
          attention_rows_sum(hd, 0, t + 1, dl, 1, kt, hd, dq + t * hd);
        }
        // dk_s and dv_s: sums of q and d_out rows over t >= s, in
        // increasing t, down column s of dlogit and p.
        for (std::int64_t s = 0; s < T; ++s) {
          attention_rows_sum(hd, s, T, &d_logits(b, h, 0, s), T, qt, hd, dk + s * hd);
          attention_rows_sum(hd, s, T, &probs(b, h, 0, s), T, gt, hd, dv + s * hd);
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
template <class E, class Scalar>
void attention_forward_team(AttentionState<Scalar, E> const& a, int team_size = 0) {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  auto const qkv = a.qkv, out = a.heads_out;
  auto const probs = a.probs;
  auto const d = a.width, hd = a.head_dim, heads = a.heads, T = a.context;
  auto const scale = a.scale;
  auto const teams = static_cast<int>((a.columns / T) * heads);
  Kokkos::parallel_for(
      "smup::CausalSelfAttention::forward", attention_policy<E>(teams, team_size),
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
            for (std::int64_t s = 0; s <= t; ++s) acc += probs(b, h, t, s) * qkv(v0 + i, first + s);
            out(q0 + i, c) = acc;
          }
        });
      });
}

// From d_out = dL/d(heads' output): d_qkv. Rows first (dlogit and dq for each query t),
// then, after a team barrier, columns (dk and dv for each key s): each thread owns the
// entries it writes, so there are no atomics and the sums run in a fixed order.
template <class E, class Scalar>
void attention_backward_team(AttentionState<Scalar, E> const& a, int team_size = 0) {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  auto const qkv = a.qkv, d_out = a.d_heads_out, d_qkv = a.d_qkv;
  auto const probs = a.probs, d_logits = a.d_logits;
  auto const d = a.width, hd = a.head_dim, heads = a.heads, T = a.context;
  auto const scale = a.scale;
  auto const teams = static_cast<int>((a.columns / T) * heads);
  Kokkos::parallel_for(
      "smup::CausalSelfAttention::backward", attention_policy<E>(teams, team_size),
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

} // namespace smup::detail
