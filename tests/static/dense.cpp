// smup::Dense: every weight kept.
#include <smup/sparsity/dense.hpp>

#include <type_traits>

namespace {

static_assert(smup::SparsityPattern<smup::Dense> && smup::StaticDensityPattern<smup::Dense>);
static_assert(smup::Dense::density == smup::ratio{1});
static_assert(smup::Dense::name == "dense");
static_assert(smup::Dense::has_static_density);
static_assert(std::is_empty_v<smup::Dense>); // a tag: costs nothing to pass around
// Negative: dense is not half dense.
static_assert(smup::Dense::density != smup::ratio{1, 2});

} // namespace
