#pragma once
/// smup::Block<R, C>: whole R x C blocks of the weight matrix kept or dropped, at
/// density rho = fraction of kept blocks (chosen per layer). Dense blocks keep
/// the arithmetic intensity of a dense product, which is why this pattern pays
/// most on real hardware.
///
///     using Pattern = smup::Block<32, 32>;
///     static_assert(Pattern::block_rows == 32 && !Pattern::has_static_density);
///     Pattern::check_shape(4096, 1024);  // throws smup::error unless tiled by 32 x 32

#include <cstdint>
#include <string_view>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/sparsity/concepts.hpp>

namespace smup {

template <int R, int C> struct Block {
  static_assert(R >= 1 && C >= 1, SMUP_DIAG_BLOCK_ZERO);

  using sparsity_concept = sparsity_tag;
  static constexpr std::string_view name = "block";
  static constexpr bool has_static_density = false;
  static constexpr int block_rows = R;
  static constexpr int block_cols = C;

  /// The matrix must be tiled by whole blocks. With static extents this is a compile
  /// error in a constant expression; at run time it throws the same text.
  static constexpr void check_shape(std::int64_t rows, std::int64_t cols) {
    detail::require<SMUP_DIAG_MATRIX_EMPTY>(rows >= 1 && cols >= 1);
    detail::require<SMUP_DIAG_BLOCK_SHAPE>(rows % R == 0 && cols % C == 0);
  }
};

} // namespace smup
