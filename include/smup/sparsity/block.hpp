#pragma once
/// smup::Block<R, C>: whole R x C blocks of the weight matrix kept or dropped, at
/// density rho = fraction of kept blocks (chosen per layer). Dense blocks keep
/// the arithmetic intensity of a dense product, which is why this pattern pays
/// most on real hardware.
///
///     using Pattern = smup::Block<32, 32>;
///     static_assert(Pattern::block_rows == 32 && !Pattern::has_static_density);

#include <string_view>

#include <smup/core/diagnostics.hpp>
#include <smup/sparsity/concepts.hpp>

namespace smup {

template <int R, int C> struct Block {
  static_assert(R >= 1 && C >= 1, SMUP_DIAG_BLOCK_ZERO);

  using sparsity_concept = sparsity_tag;
  static constexpr std::string_view name = "block";
  static constexpr bool has_static_density = false;
  static constexpr int block_rows = R;
  static constexpr int block_cols = C;
};

} // namespace smup
