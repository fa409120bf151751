#pragma once
// The sparsity pattern of a sweep run, chosen at run time by name: the examples that compare
// patterns dispatch from the run's "pattern" and "density" keys to a compile-time type.
#include <stdexcept>
#include <string>
#include <string_view>

#include <smup/core/parse_ratio.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

namespace smup_example {

/// The pattern name of the runs every pattern shares: density 1, every weight kept.
inline constexpr std::string_view dense_pattern = "dense";

/// "block8x8" for smup::Block<8, 8>: the name runs and reports use for a block pattern.
template <class BlockPattern> std::string block_pattern_name() {
  return "block" + std::to_string(BlockPattern::block_rows) + "x" +
         std::to_string(BlockPattern::block_cols);
}

/// f(S{}) for the sparsity type that `pattern` names at `density`: "dense" (Unstructured at
/// density 1, as the dense runs of every example), "unstructured", "nm" (NM<1, M> with
/// M = 1/density, since N:M fixes its density in the type) or block_pattern_name<B>().
/// Throws std::invalid_argument naming what does not fit.
template <class BlockPattern, class F>
decltype(auto) with_pattern(std::string_view pattern, smup::ratio density, F&& f) {
  auto const density_text = smup::ratio_text(density);
  auto const block = block_pattern_name<BlockPattern>();
  if (pattern == dense_pattern) {
    if (density != smup::ratio{1})
      throw std::invalid_argument("pattern dense is density 1 only (got " + density_text + ")");
    return f(smup::Unstructured{});
  }
  if (pattern == "unstructured") return f(smup::Unstructured{});
  if (pattern == block) return f(BlockPattern{});
  if (pattern == "nm") {
    if (density == smup::ratio{1, 2}) return f(smup::NM<1, 2>{});
    if (density == smup::ratio{1, 4}) return f(smup::NM<1, 4>{});
    if (density == smup::ratio{1, 8}) return f(smup::NM<1, 8>{});
    if (density == smup::ratio{1, 16}) return f(smup::NM<1, 16>{});
    throw std::invalid_argument("pattern nm has no N:M type for density " + density_text +
                                "; it knows 1/2, 1/4, 1/8 and 1/16 (NM<1, M>, M = 1/density)");
  }
  throw std::invalid_argument("unknown sparsity pattern '" + std::string(pattern) +
                              "'; this example knows unstructured, nm and " + block);
}

} // namespace smup_example
