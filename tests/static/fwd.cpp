// smup/fwd.hpp names the vocabulary without defining it; the definitions must
// agree with those declarations (same kind, same template parameters).
#include <smup/fwd.hpp>

#include <type_traits>

namespace {

// Usable as incomplete types before any definition is seen.
template <class T> constexpr bool nameable = std::is_pointer_v<T*>;
static_assert(nameable<smup::ratio> && nameable<smup::Monomial> && nameable<smup::SMuP>);
static_assert(nameable<smup::NM<2, 4>> && nameable<smup::Block<32, 32>>);
static_assert(nameable<smup::HyperParams> && nameable<smup::StabilityReport>);
static_assert(std::is_enum_v<smup::Role> && std::is_enum_v<smup::OptimizerFamily>);

} // namespace

#include <smup/smup.hpp>

namespace {

// After the umbrella header the same names are complete.
static_assert(sizeof(smup::ratio) > 0 && sizeof(smup::Monomial) > 0 && sizeof(smup::error) > 0);
static_assert(smup::Parameterization<smup::SP> && smup::Parameterization<smup::MuP> &&
              smup::Parameterization<smup::SMuP>);
static_assert(smup::SparsityPattern<smup::Dense> && smup::SparsityPattern<smup::Unstructured>);
static_assert(sizeof(smup::BaseShape) > 0 && sizeof(smup::TargetShape) > 0 &&
              sizeof(smup::LayerHyperParams) > 0 && sizeof(smup::StabilityReport) > 0);
static_assert(std::is_empty_v<smup::parameterization_tag> && std::is_empty_v<smup::sparsity_tag>);

} // namespace
