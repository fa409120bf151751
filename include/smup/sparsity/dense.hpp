#pragma once
/// smup::Dense: every weight kept; the baseline every sparse pattern is measured against.
///
///     static_assert(smup::Dense::density == smup::ratio{1});
///     smup::Dense::check_shape(4096, 1024);  // throws smup::error on an empty matrix

#include <cstdint>
#include <string_view>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/sparsity/concepts.hpp>

namespace smup {

struct Dense {
  using sparsity_concept = sparsity_tag;
  static constexpr std::string_view name = "dense";
  static constexpr bool has_static_density = true;
  static constexpr ratio density{1};

  /// Any non-empty matrix. With static extents this is a compile error in a constant
  /// expression; at run time it throws the same text.
  static constexpr void check_shape(std::int64_t rows, std::int64_t cols) {
    detail::require<SMUP_DIAG_MATRIX_EMPTY>(rows >= 1 && cols >= 1);
  }
};

} // namespace smup
