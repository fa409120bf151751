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

} // namespace
