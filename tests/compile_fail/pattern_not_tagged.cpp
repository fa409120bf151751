// A type that forgot the opt-in tag is not accepted as a sparsity pattern.
// SMUP_EXPECT_ERROR: smup::SparsityPattern: the type does not opt in
#include <smup/sparsity/concepts.hpp>

struct LooksLikeAPattern {
  static constexpr std::string_view name = "mine";
  static constexpr bool has_static_density = false;
};

static_assert(smup::check_sparsity_pattern<LooksLikeAPattern>());
