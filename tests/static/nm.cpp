// smup::NM<N, M>: N kept in every M, density N/M exact and static.
#include <smup/sparsity/nm.hpp>

#include <type_traits>

#include "support.hpp"

namespace {

using namespace smup_static_test;

using smup::NM;
using smup::ratio;

static_assert(smup::SparsityPattern<NM<2, 4>> && smup::StaticDensityPattern<NM<2, 4>>);
static_assert(NM<2, 4>::density == ratio{1, 2});
static_assert(NM<1, 4>::density == ratio{1, 4});
static_assert(NM<1, 8>::density == ratio{1, 8});
static_assert(NM<3, 4>::density == ratio{3, 4});
static_assert(NM<4, 8>::density == ratio{1, 2}); // normalised: same density as 2:4
static_assert(NM<1, 2>::density == ratio{1, 2});
static_assert(NM<2, 4>::kept_per_group == 2 && NM<2, 4>::group_size == 4);
static_assert(NM<4, 8>::kept_per_group == 4 && NM<4, 8>::group_size == 8);
static_assert(NM<2, 4>::name == "n:m");
static_assert(NM<2, 4>::has_static_density);
// Same density, different structure: distinct types.
static_assert(!std::is_same_v<NM<2, 4>, NM<4, 8>>);
static_assert(std::is_empty_v<NM<2, 4>>);
// Negative: 2:4 keeps half, not a quarter.
static_assert(NM<2, 4>::density != ratio{1, 4});
// NM<0, 4> and NM<4, 4> stop the build with a named rule: see compile_fail/nm_*.cpp.

} // namespace
