#pragma once
/// smup::NM<N, M>: exactly N weights kept in every group of M consecutive fan-in
/// entries (2:4 is what sparse tensor cores accelerate). The density N/M is exact
/// and known to the compiler, so SmuP's density multiplier comes from the type.
///
///     static_assert(smup::NM<2, 4>::density == smup::ratio{1, 2});

#include <string_view>

#include <smup/core/diagnostics.hpp>
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
};

} // namespace smup
