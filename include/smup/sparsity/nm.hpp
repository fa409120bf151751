#pragma once
/// smup::NM<N, M>: exactly N weights kept in every group of M consecutive fan-in
/// entries (2:4 is what sparse tensor cores accelerate). The density N/M is exact
/// and known to the compiler, so SmuP's density multiplier comes from the type.
///
///     static_assert(smup::NM<2, 4>::density == smup::ratio{1, 2});
///     smup::NM<2, 4>::check_shape(4096, 1024);  // throws smup::error unless 4 divides 1024

#include <cstdint>
#include <string_view>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/sparsity/concepts.hpp>

namespace smup {

template <int N, int M> struct NM {
  static_assert(N >= 1, SMUP_DIAG_NM_N_ZERO);
  static_assert(N < M, SMUP_DIAG_NM_N_NOT_BELOW_M);

  using sparsity_concept = sparsity_tag;
  static constexpr std::string_view name = "n:m";
  static constexpr bool has_static_density = true;
  static constexpr int kept_per_group = N;
  static constexpr int group_size = M;
  static constexpr ratio density{N, M};

  /// Groups run along the fan-in (columns), so it must hold whole groups. With static
  /// extents this is a compile error in a constant expression; at run time it throws
  /// the same text.
  static constexpr void check_shape(std::int64_t rows, std::int64_t cols) {
    detail::require<SMUP_DIAG_MATRIX_EMPTY>(rows >= 1 && cols >= 1);
    detail::require<SMUP_DIAG_NM_SHAPE>(cols % M == 0);
  }
};

} // namespace smup
