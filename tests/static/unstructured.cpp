// smup::Unstructured: Bernoulli(rho) per entry, density chosen per layer.
#include <smup/sparsity/unstructured.hpp>

#include <type_traits>

namespace {

template <class S>
concept has_density_member = requires {
  S::density;
};

static_assert(smup::SparsityPattern<smup::Unstructured>);
static_assert(smup::Unstructured::name == "unstructured");
static_assert(!smup::Unstructured::has_static_density);
// Negative: no density in the type, so no static density multiplier.
static_assert(!smup::StaticDensityPattern<smup::Unstructured>);
static_assert(!has_density_member<smup::Unstructured>);
static_assert(std::is_empty_v<smup::Unstructured>);

// The row-balanced variant: same facts, its own name.
static_assert(smup::SparsityPattern<smup::BalancedUnstructured>);
static_assert(smup::BalancedUnstructured::name == "unstructured-balanced");
static_assert(!smup::StaticDensityPattern<smup::BalancedUnstructured>);
static_assert(std::is_empty_v<smup::BalancedUnstructured>);
static_assert(!std::is_same_v<smup::Unstructured, smup::BalancedUnstructured>);

// Shape and density rules run in constant expressions; broken ones stop the build (see
// compile_fail/unstructured_empty.cpp and unstructured_density.cpp).
static_assert((smup::Unstructured::check_shape(1, 1), true));
static_assert((smup::BalancedUnstructured::check_shape(4096, 3), true));
static_assert(smup::Unstructured::check_density(smup::ratio{1, 16}) == smup::ratio{1, 16});
static_assert(smup::BalancedUnstructured::check_density(smup::ratio{1}) == smup::ratio{1});

} // namespace
