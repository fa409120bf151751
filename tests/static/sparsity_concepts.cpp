// smup::SparsityPattern and smup::StaticDensityPattern: opt-in tags with facts.
#include <smup/sparsity/concepts.hpp>

#include <smup/sparsity/block.hpp>
#include <smup/sparsity/dense.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <string_view>

namespace {

// The library's patterns.
static_assert(smup::SparsityPattern<smup::Dense>);
static_assert(smup::SparsityPattern<smup::Unstructured>);
static_assert(smup::SparsityPattern<smup::NM<2, 4>>);
static_assert(smup::SparsityPattern<smup::Block<32, 32>>);
// Density known to the compiler only where the type fixes it.
static_assert(smup::StaticDensityPattern<smup::Dense>);
static_assert(smup::StaticDensityPattern<smup::NM<2, 4>>);
static_assert(!smup::StaticDensityPattern<smup::Unstructured>);
static_assert(!smup::StaticDensityPattern<smup::Block<32, 32>>);

// A user pattern with a per-layer density.
struct Diagonal {
  using sparsity_concept = smup::sparsity_tag;
  static constexpr std::string_view name = "diagonal";
  static constexpr bool has_static_density = false;
};
static_assert(smup::SparsityPattern<Diagonal> && !smup::StaticDensityPattern<Diagonal>);

// A user pattern with a fixed density.
struct QuarterKept {
  using sparsity_concept = smup::sparsity_tag;
  static constexpr std::string_view name = "quarter";
  static constexpr bool has_static_density = true;
  static constexpr smup::ratio density{1, 4};
};
static_assert(smup::StaticDensityPattern<QuarterKept>);

// Negative: no tag, wrong tag, missing facts (maybe_unused: clang flags members
// that the rejected concept never reads).
struct Untagged {
  [[maybe_unused]] static constexpr std::string_view name = "untagged";
  [[maybe_unused]] static constexpr bool has_static_density = true;
  [[maybe_unused]] static constexpr smup::ratio density{1, 2};
};
static_assert(!smup::SparsityPattern<Untagged> && !smup::StaticDensityPattern<Untagged>);
struct WrongTag : QuarterKept {
  using sparsity_concept = int;
};
static_assert(!smup::SparsityPattern<WrongTag>);
static_assert(!smup::SparsityPattern<int>);
struct Nameless {
  using sparsity_concept = smup::sparsity_tag;
  [[maybe_unused]] static constexpr bool has_static_density = false;
};
static_assert(!smup::SparsityPattern<Nameless>);
struct NoDensityFact {
  using sparsity_concept = smup::sparsity_tag;
  static constexpr std::string_view name = "no-fact";
};
static_assert(!smup::SparsityPattern<NoDensityFact>);
// Claims a static density but does not give it.
struct ClaimsStatic {
  using sparsity_concept = smup::sparsity_tag;
  static constexpr std::string_view name = "claims";
  static constexpr bool has_static_density = true;
};
static_assert(smup::SparsityPattern<ClaimsStatic> && !smup::StaticDensityPattern<ClaimsStatic>);
// Gives a density but says it is per layer: the flag wins.
struct DensityButDynamic : QuarterKept {
  static constexpr bool has_static_density = false;
};
static_assert(!smup::StaticDensityPattern<DensityButDynamic>);

} // namespace

// The entry-point check accepts every pattern the library ships.
static_assert(smup::check_sparsity_pattern<smup::Dense>());
static_assert(smup::check_sparsity_pattern<smup::Unstructured>());
static_assert(smup::check_sparsity_pattern<smup::NM<2, 4>>());
static_assert(smup::check_sparsity_pattern<smup::Block<32, 32>>());
