#pragma once
/// smup::Unstructured: each weight kept independently with probability rho, the
/// mask fixed at init, as in the SmuP paper (the case its guarantee covers).
/// smup::BalancedUnstructured: the same random placement, but every row keeps
/// exactly round(rho * fan_in) weights, so rows cost equal work and the density is
/// exact. Both are stored as CSR; the density is chosen per layer at run time.
///
///     smup::Linear<smup::SMuP, smup::Unstructured> layer(/* ..., density = */ smup::ratio{1, 16});
///     smup::Unstructured::check_shape(4096, 1024);    // throws smup::error on an empty matrix
///     smup::Unstructured::check_density(smup::ratio{1, 16});

#include <cstdint>
#include <string_view>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/sparsity/concepts.hpp>

namespace smup {

namespace detail {
/// The rules both unstructured tags share: any non-empty matrix, density in (0, 1].
/// With static arguments a broken rule is a compile error in a constant expression.
struct UnstructuredRules {
  using sparsity_concept = sparsity_tag;
  static constexpr bool has_static_density = false;

  static constexpr void check_shape(std::int64_t rows, std::int64_t cols) {
    detail::require<SMUP_DIAG_MATRIX_EMPTY>(rows >= 1 && cols >= 1);
  }
  static constexpr ratio check_density(ratio density) { return checked_density(density); }
};
} // namespace detail

/// Bernoulli(rho) per weight: row lengths vary (binomially) around rho * fan_in.
struct Unstructured : detail::UnstructuredRules {
  static constexpr std::string_view name = "unstructured";
};

/// Exactly round(rho * fan_in) weights per row (halves rounded up), at positions as
/// random as Unstructured's: the smallest per-weight hashes of each row.
///
///     smup::SparseWeights<smup::BalancedUnstructured> w(4096, 4096, smup::ratio{1, 16}, 7);
///     // every row keeps 256 weights
struct BalancedUnstructured : detail::UnstructuredRules {
  static constexpr std::string_view name = "unstructured-balanced";
};

} // namespace smup
