#pragma once
/// The SparsityPattern concept: a stateless tag that names a sparsity structure
/// and carries its compile-time facts. It selects the storage format and kernels
/// by specialisation; the density it implies feeds the parameterization.
///
///     struct MyPattern {
///       using sparsity_concept = smup::sparsity_tag;
///       static constexpr std::string_view name = "mine";
///       static constexpr bool has_static_density = false;  // density chosen per layer
///     };
///     static_assert(smup::SparsityPattern<MyPattern>);
///
/// A pattern whose density is fixed by its type (Dense, NM<N, M>) also has
/// `static constexpr smup::ratio density` and models StaticDensityPattern.

#include <concepts>
#include <string_view>

#include <smup/core/diagnostics.hpp>
#include <smup/core/ratio.hpp>

namespace smup {

/// The opt-in tag: `using sparsity_concept = smup::sparsity_tag;`.
struct sparsity_tag {};

template <class S>
concept SparsityPattern = std::same_as<typename S::sparsity_concept, sparsity_tag> && requires {
  { S::name } -> std::convertible_to<std::string_view>;
  { S::has_static_density } -> std::convertible_to<bool>;
};

template <class S>
concept StaticDensityPattern = SparsityPattern<S> && S::has_static_density && requires {
  { S::density } -> std::convertible_to<ratio>;
};

/// Entry points call this so a type that is not a pattern reads as a sentence.
template <class S> constexpr bool check_sparsity_pattern() {
  static_assert(SparsityPattern<S>, SMUP_DIAG_PATTERN_NOT_TAGGED);
  return true;
}

} // namespace smup
