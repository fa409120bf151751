// The text corpus reader (smup/io/text_corpus.hpp) on arbitrary bytes: either smup::error
// (binary or empty text), or a corpus that splits exactly the text, block by block; and
// the fortune separator filter and the binary rule, which the folder readers use.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <smup/core/error.hpp>
#include <smup/io/text_corpus.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using smup::io::TextCorpus;
  std::span<std::uint8_t const> const bytes(data, size);
  bool const binary = smup::io::looks_binary(bytes);
  try {
    auto const corpus = smup::io::parse_text(bytes, "fuzz");
    SMUP_FUZZ_CHECK(!binary && size > 0);
    // The text is the bytes plus a final newline when they lack one.
    std::vector<std::uint8_t> text(bytes.begin(), bytes.end());
    if (text.back() != '\n') text.push_back('\n');
    SMUP_FUZZ_CHECK(static_cast<std::size_t>(corpus.size()) == text.size());
    // Blocks 9, 19, 29... validate; the others train, in order.
    std::vector<std::uint8_t> train, validation;
    for (std::size_t start = 0, block = 0; start < text.size();
         start += TextCorpus::block_bytes, ++block) {
      auto const end = std::min(text.size(), start + TextCorpus::block_bytes);
      auto& part = block % TextCorpus::validation_period == TextCorpus::validation_period - 1
                       ? validation
                       : train;
      part.insert(part.end(), text.begin() + static_cast<std::ptrdiff_t>(start),
                  text.begin() + static_cast<std::ptrdiff_t>(end));
    }
    SMUP_FUZZ_CHECK(corpus.train == train && corpus.validation == validation);
  } catch (smup::error const&) {
    SMUP_FUZZ_CHECK(binary || size == 0);
  }
  // Separator lines hold only '%' (before LF or CRLF); nothing else is removed.
  std::vector<std::uint8_t> const text(bytes.begin(), bytes.end());
  auto const kept = smup::io::detail::without_separator_lines(text);
  SMUP_FUZZ_CHECK(kept.size() <= text.size());
  auto const again = smup::io::detail::without_separator_lines(kept);
  SMUP_FUZZ_CHECK(again == kept);
  return 0;
}
