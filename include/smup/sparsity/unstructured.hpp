#pragma once
/// smup::Unstructured: each weight kept independently with probability rho, the
/// mask fixed at init, as in the SmuP paper (the case its guarantee covers).
/// The density is chosen per layer at run time.
///
///     smup::Linear<smup::SMuP, smup::Unstructured> layer(/* ..., density = */ smup::ratio{1, 16});

#include <string_view>

#include <smup/sparsity/concepts.hpp>

namespace smup {

struct Unstructured {
  using sparsity_concept = sparsity_tag;
  static constexpr std::string_view name = "unstructured";
  static constexpr bool has_static_density = false;
};

} // namespace smup
