#pragma once
/// The table-gradient kernels of smup::Embedding. Many columns share a token, so the
/// gradient of one table entry sums several columns; both kernels sum them in ascending
/// column order without atomics, so the bits never depend on the thread count (and the
/// two agree up to where the compiler fuses a multiply-add):
///
///     smup::detail::embedding_backward_rows<E>(tokens, dy, grad, vocab, mult, overwrite);
///     smup::detail::TokenIndex<E> index;   // buckets of columns by token
///     index.build(tokens, vocab);
///     smup::detail::embedding_backward_buckets<E>(index, dy, grad, vocab, mult, overwrite);
///
/// The first gives each feature row to one thread (the host's way: a row is contiguous);
/// the second sorts the columns into per-token buckets once and gives each table entry a
/// thread, which is the parallelism a GPU needs. Both skip tokens outside [0, vocab).

#include <cstdint>

#include <Kokkos_Core.hpp>

#include <smup/kernels/views.hpp>

namespace smup::detail {

template <class E, class Tokens, class Scalar>
void embedding_backward_rows(Tokens const& tokens, Activations<Scalar, E> const& dy,
                             WeightValues<Scalar, E> const& grad, std::int64_t vocab, Scalar mult,
                             bool overwrite) {
  auto const width = static_cast<std::int64_t>(dy.extent(0));
  auto const columns = static_cast<std::int64_t>(tokens.extent(0));
  Kokkos::parallel_for(
      "smup::Embedding::backward", Kokkos::RangePolicy<E>(0, width), KOKKOS_LAMBDA(std::int64_t i) {
        std::int64_t const row = i * vocab;
        if (overwrite)
          for (std::int64_t v = 0; v < vocab; ++v) grad(row + v) = Scalar(0);
        for (std::int64_t c = 0; c < columns; ++c) {
          int const v = tokens(c);
          if (v >= 0 && v < vocab) grad(row + v) += mult * dy(i, c);
        }
      });
}

/// Columns grouped by token: the columns of token v are columns(k) for k in
/// [starts(v), starts(v + 1)), ascending. Out-of-range tokens are left out.
template <class E> struct TokenIndex {
  using Indices = Kokkos::View<std::int32_t*, typename E::memory_space>;
  Indices starts;  ///< vocab + 1 offsets
  Indices columns; ///< at most one entry per column

  template <class Tokens> void build(Tokens const& tokens, std::int64_t vocab) {
    auto const n = static_cast<std::int64_t>(tokens.extent(0));
    if (static_cast<std::int64_t>(starts.extent(0)) != vocab + 1)
      starts = Indices("smup::Embedding::token_starts", static_cast<std::size_t>(vocab + 1));
    if (static_cast<std::int64_t>(columns.extent(0)) != n)
      columns = Indices("smup::Embedding::token_columns", static_cast<std::size_t>(n));
    count_tokens(tokens, vocab, starts);
    prefix_sum(starts);
    fill_buckets(tokens, vocab, starts, columns);
    sort_buckets(starts, columns);
  }

  // Free of `this`: device lambdas must not capture the host object.
  template <class Tokens>
  static void count_tokens(Tokens const& tokens, std::int64_t vocab, Indices const& counts) {
    Kokkos::deep_copy(counts, 0);
    Kokkos::parallel_for(
        "smup::Embedding::count_tokens", Kokkos::RangePolicy<E>(0, tokens.extent(0)),
        KOKKOS_LAMBDA(std::int64_t c) {
          int const v = tokens(c);
          if (v >= 0 && v < vocab) Kokkos::atomic_fetch_add(&counts(v + 1), 1);
        });
  }

  static void prefix_sum(Indices const& starts) {
    Kokkos::parallel_scan(
        "smup::Embedding::token_offsets", Kokkos::RangePolicy<E>(0, starts.extent(0)),
        KOKKOS_LAMBDA(std::int64_t v, std::int32_t & sum, bool final) {
          sum += starts(v);
          if (final) starts(v) = sum;
        });
  }

  // Slots are claimed with atomics, so each bucket is complete but in no set order...
  template <class Tokens> static void fill_buckets(Tokens const& tokens, std::int64_t vocab,
                                                   Indices const& starts, Indices const& columns) {
    Indices next("smup::Embedding::token_next", starts.extent(0));
    Kokkos::deep_copy(next, starts);
    Kokkos::parallel_for(
        "smup::Embedding::fill_buckets", Kokkos::RangePolicy<E>(0, tokens.extent(0)),
        KOKKOS_LAMBDA(std::int64_t c) {
          int const v = tokens(c);
          if (v >= 0 && v < vocab)
            columns(Kokkos::atomic_fetch_add(&next(v), 1)) = static_cast<std::int32_t>(c);
        });
  }

  // ...until each is sorted (insertion sort: buckets are short, a token per column).
  static void sort_buckets(Indices const& starts, Indices const& columns) {
    Kokkos::parallel_for(
        "smup::Embedding::sort_buckets", Kokkos::RangePolicy<E>(0, starts.extent(0) - 1),
        KOKKOS_LAMBDA(std::int64_t v) {
          for (std::int32_t k = starts(v) + 1; k < starts(v + 1); ++k) {
            std::int32_t const c = columns(k);
            std::int32_t j = k;
            for (; j > starts(v) && columns(j - 1) > c; --j) columns(j) = columns(j - 1);
            columns(j) = c;
          }
        });
  }
};

/// grad(i, v) (+)= mult * dy(i, c) over the columns c of token v, ascending: the same
/// additions in the same order as embedding_backward_rows. A team per feature row, its
/// threads across the vocabulary.
template <class E, class Scalar>
void embedding_backward_buckets(TokenIndex<E> const& index, Activations<Scalar, E> const& dy,
                                WeightValues<Scalar, E> const& grad, std::int64_t vocab,
                                Scalar mult, bool overwrite, int team_size = 0) {
  using Policy = Kokkos::TeamPolicy<E>;
  auto const starts = index.starts, columns = index.columns;
  auto const width = static_cast<int>(dy.extent(0));
  Policy const policy = team_size > 0 ? Policy(width, team_size) : Policy(width, Kokkos::AUTO);
  Kokkos::parallel_for(
      "smup::Embedding::backward", policy, KOKKOS_LAMBDA(typename Policy::member_type const& team) {
        auto const i = static_cast<std::int64_t>(team.league_rank());
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, vocab), [&](std::int64_t v) {
          Scalar acc = overwrite ? Scalar(0) : grad(i * vocab + v);
          for (std::int32_t k = starts(v); k < starts(v + 1); ++k) acc += mult * dy(i, columns(k));
          grad(i * vocab + v) = acc;
        });
      });
}

} // namespace smup::detail
