#pragma once
/// Byte-level text for the GPT: a corpus whose tokens are its bytes (vocabulary 256),
/// split into a training and a validation part, and batches of windows of it.
///
///     auto corpus = smup::io::load_fortunes();   // /usr/share/games/fortunes
///     smup::io::TextBatches<> train(corpus, smup::io::TextPart::train, 32, 64, /*seed=*/7);
///     smup::io::TextBatches<> valid(corpus, smup::io::TextPart::validation, 32, 64);
///     for (std::int64_t step = 0; step < steps; ++step) {
///       auto [tokens, targets] = train.batch(step);   // a pure function of (seed, step)
///       model.train_step(tokens, targets, adam, 1.0);
///     }
///     for (std::int64_t i = 0; i < valid.eval_batches(); ++i) {
///       auto [tokens, targets] = valid.eval_batch(i); // the same windows in every run
///       double loss = model.evaluate(tokens, targets);
///     }
///
/// Reading and splitting the corpus: smup/io/text_corpus.hpp.

#include <algorithm>
#include <cstdint>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/io/text_corpus.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup::io {

namespace detail {

/// Fills `sequences` windows of `context` bytes of `text` and their next bytes. Sampled
/// windows start at counter_hash(seed, step, b) mod the number of starts, so they do not
/// depend on backend or thread count; the others are consecutive from window `first`.
template <class E, class Bytes, class Tokens>
void gather_windows(Bytes const& text, Tokens const& tokens, Tokens const& targets,
                    std::int64_t sequences, std::int64_t context, bool sampled, std::uint64_t seed,
                    std::uint64_t step, std::int64_t first) {
  auto const starts =
      static_cast<std::uint64_t>(text.extent(0)) - static_cast<std::uint64_t>(context);
  Kokkos::parallel_for(
      "smup::io::TextBatches",
      Kokkos::RangePolicy<E, Kokkos::IndexType<std::int64_t>>(0, sequences * context),
      KOKKOS_LAMBDA(std::int64_t c) {
        std::int64_t const b = c / context;
        std::int64_t const t = c - b * context;
        std::int64_t const start =
            sampled ? static_cast<std::int64_t>(
                          smup::detail::counter_hash(seed, step, static_cast<std::uint64_t>(b)) %
                          starts)
                    : (first + b) * context;
        tokens(c) = text(start + t);
        targets(c) = text(start + t + 1);
      });
}

} // namespace detail

/// Batches of `batch_size` windows of `context` bytes of one part of a corpus, as
/// `tokens` and `targets` (the byte after each token), each batch_size * context long
/// with sequence b at columns b * context + t: the GPT's [features][batch * context].
/// The part is copied to the execution space once; windows are cut there.
template <class ExecutionSpace = Kokkos::DefaultExecutionSpace> class TextBatches {
public:
  using execution_space = ExecutionSpace;
  using Tokens = Kokkos::View<int*, typename ExecutionSpace::memory_space>;
  struct Batch {
    Tokens tokens;
    Tokens targets;
  };

  TextBatches(TextCorpus const& corpus, TextPart part, std::int64_t batch_size,
              std::int64_t context, std::uint64_t seed = 0)
      : batch_size_(batch_size), context_(context), seed_(seed) {
    if (batch_size < 1)
      smup::detail::fail("smup::io::TextBatches: batch_size must be at least 1 (got " +
                         std::to_string(batch_size) + ").");
    if (context < 1)
      smup::detail::fail("smup::io::TextBatches: context must be at least 1 (got " +
                         std::to_string(context) + ").");
    auto const& bytes = corpus.part(part);
    if (static_cast<std::int64_t>(bytes.size()) < context + 1)
      smup::detail::fail("smup::io::TextBatches: the " +
                         std::string(part == TextPart::train ? "training" : "validation") +
                         " part holds " + std::to_string(bytes.size()) + " bytes, fewer than the " +
                         std::to_string(context + 1) + " that one window of context " +
                         std::to_string(context) +
                         " and its targets need. Use a shorter context or more text.");
    text_ = Bytes("smup::io::TextBatches::text", bytes.size());
    auto host = Kokkos::create_mirror_view(text_);
    std::copy(bytes.begin(), bytes.end(), host.data());
    Kokkos::deep_copy(text_, host);
    train_ = allocate(batch_size_);
  }

  [[nodiscard]] std::int64_t batch_size() const { return batch_size_; }
  [[nodiscard]] std::int64_t context() const { return context_; }

  /// Training batch `step`: windows starting anywhere in the part, drawn with
  /// replacement from (seed, step, b) alone, so any step can be replayed in any order.
  /// The views are reused: the next call to batch() overwrites them.
  Batch batch(std::int64_t step) {
    if (step < 0)
      smup::detail::fail("smup::io::TextBatches: step " + std::to_string(step) +
                         " is negative. Steps count from 0.");
    detail::gather_windows<ExecutionSpace>(text_, train_.tokens, train_.targets, batch_size_,
                                           context_, true, seed_, static_cast<std::uint64_t>(step),
                                           0);
    return train_;
  }

  /// Consecutive non-overlapping windows over the whole part, the same for any batch
  /// size and seed: window w holds bytes [w * context, (w + 1) * context].
  [[nodiscard]] std::int64_t eval_sequences() const {
    return (static_cast<std::int64_t>(text_.extent(0)) - 1) / context_;
  }
  [[nodiscard]] std::int64_t eval_batches() const {
    return (eval_sequences() + batch_size_ - 1) / batch_size_;
  }

  /// Evaluation batch `index`: windows index * batch_size onwards. Every window counts
  /// once, so the last batch may hold fewer sequences (tokens.extent(0) / context);
  /// weight its loss by that when averaging. The next call to eval_batch() overwrites it.
  Batch eval_batch(std::int64_t index) {
    if (index < 0 || index >= eval_batches())
      smup::detail::fail("smup::io::TextBatches: evaluation batch " + std::to_string(index) +
                         " is outside the " + std::to_string(eval_batches()) +
                         " of this part. Pass 0 to eval_batches() - 1.");
    auto const first = index * batch_size_;
    auto const sequences = std::min(batch_size_, eval_sequences() - first);
    if (static_cast<std::int64_t>(eval_.tokens.extent(0)) != sequences * context_)
      eval_ = allocate(sequences);
    detail::gather_windows<ExecutionSpace>(text_, eval_.tokens, eval_.targets, sequences, context_,
                                           false, 0, 0, first);
    return eval_;
  }

private:
  using Bytes = Kokkos::View<std::uint8_t*, typename ExecutionSpace::memory_space>;

  Batch allocate(std::int64_t sequences) const {
    auto const n = static_cast<std::size_t>(sequences * context_);
    return {Tokens("smup::io::TextBatches::tokens", n),
            Tokens("smup::io::TextBatches::targets", n)};
  }

  std::int64_t batch_size_;
  std::int64_t context_;
  std::uint64_t seed_;
  Bytes text_;
  Batch train_;
  Batch eval_;
};

} // namespace smup::io
