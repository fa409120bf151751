// smup::density_ratio<S>(): the density multiplier from a pattern's type.
#include <smup/sparsity/density.hpp>

#include <smup/sparsity/block.hpp>
#include <smup/sparsity/dense.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <string_view>
#include <type_traits>

#include "support.hpp"

namespace {

using namespace smup_static_test;

using smup::ratio;

static_assert(smup::density_ratio<smup::Dense>() == ratio{1});
static_assert(smup::density_ratio<smup::NM<2, 4>>() == ratio{1, 2});
static_assert(smup::density_ratio<smup::NM<1, 8>>() == ratio{1, 8});
static_assert(smup::density_ratio<smup::NM<1, 4>>() == ratio{1, 4});
// Against a sparse base: m_rho = rho / rho_base.
static_assert(smup::density_ratio<smup::NM<1, 8>>(ratio{1, 2}) == ratio{1, 4});
static_assert(smup::density_ratio<smup::NM<2, 4>>(ratio{1, 2}) == ratio{1});
static_assert(smup::density_ratio<smup::Dense>(ratio{1, 4}) == ratio{4});
// The run-time overload with an explicit density is unaffected.
static_assert(smup::density_ratio(ratio{1, 8}) == ratio{1, 8});

// Negative: only patterns whose type fixes the density have one.
template <class S>
concept static_ratio = requires {
  smup::density_ratio<S>();
};
static_assert(static_ratio<smup::Dense> && static_ratio<smup::NM<2, 4>>);
static_assert(!static_ratio<smup::Unstructured>);
static_assert(!static_ratio<smup::Block<32, 32>>);
static_assert(!static_ratio<int>);

// A user pattern whose static density is out of range is caught when used.
struct TooDense {
  using sparsity_concept = smup::sparsity_tag;
  static constexpr std::string_view name = "too-dense";
  static constexpr bool has_static_density = true;
  static constexpr ratio density{3, 2};
};
static_assert(static_ratio<TooDense>);
static_assert(!constant_evaluable<decltype([] { return smup::density_ratio<TooDense>(); })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::density_ratio<smup::NM<1, 8>>(ratio{0}); })>);

} // namespace
