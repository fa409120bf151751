// The diagnostic texts follow one shape, "smup::<Entity>: <rule>. <why>. <fix>.",
// so users can grep for the entity and read one sentence per idea.
#include <smup/core/diagnostics.hpp>

#include <cstddef>
#include <string_view>

namespace {

constexpr std::size_t sentence_count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '.' && (i + 1 == s.size() || s[i + 1] == ' ')) ++n;
  return n;
}

constexpr bool well_formed(std::string_view text, std::string_view entity) {
  return text.starts_with(entity) && text.substr(entity.size()).starts_with(": ") &&
         text.ends_with(".") && sentence_count(text) >= 3 && text.find("  ") == text.npos;
}

static_assert(well_formed(SMUP_DIAG_RATIO_ZERO_DENOMINATOR, "smup::ratio"));
static_assert(well_formed(SMUP_DIAG_RATIO_OVERFLOW, "smup::ratio"));
static_assert(well_formed(SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE, "smup::width_ratio"));
static_assert(well_formed(SMUP_DIAG_DENSITY_OUT_OF_RANGE, "smup::density"));
static_assert(well_formed(SMUP_DIAG_MONOMIAL_NONPOSITIVE_BASE, "smup::Monomial"));
static_assert(well_formed(SMUP_DIAG_PARSE_RATIO, "smup::parse_ratio"));
static_assert(well_formed(SMUP_DIAG_PARAM_NOT_TAGGED, "smup::Parameterization"));
static_assert(well_formed(SMUP_DIAG_PARAM_MISSING_NAME, "smup::Parameterization"));
static_assert(well_formed(SMUP_DIAG_PARAM_MISSING_INIT_VARIANCE, "smup::Parameterization"));
static_assert(well_formed(SMUP_DIAG_PARAM_MISSING_LEARNING_RATE, "smup::Parameterization"));
static_assert(well_formed(SMUP_DIAG_PARAM_MISSING_MULTIPLIER, "smup::Parameterization"));
static_assert(well_formed(SMUP_DIAG_PARAM_MISSING_ATTENTION, "smup::Parameterization"));
static_assert(well_formed(SMUP_DIAG_UNSTABLE, "smup::assert_stable"));
static_assert(well_formed(SMUP_DIAG_HP_SIGMA, "smup::HyperParams"));
static_assert(well_formed(SMUP_DIAG_HP_ETA, "smup::HyperParams"));
static_assert(well_formed(SMUP_DIAG_HP_MULTIPLIER, "smup::HyperParams"));
static_assert(well_formed(SMUP_DIAG_HP_WEIGHT_DECAY, "smup::HyperParams"));
static_assert(well_formed(SMUP_DIAG_SHAPE_DEPTH, "smup::TargetShape"));
static_assert(well_formed(SMUP_DIAG_SPARSE_NON_HIDDEN, "smup::layer_hyperparams"));
static_assert(well_formed(SMUP_DIAG_NM_N_ZERO, "smup::NM<N, M>"));
static_assert(well_formed(SMUP_DIAG_NM_N_NOT_BELOW_M, "smup::NM<N, M>"));
static_assert(well_formed(SMUP_DIAG_BLOCK_ZERO, "smup::Block<R, C>"));
static_assert(well_formed(SMUP_DIAG_PATTERN_NOT_TAGGED, "smup::SparsityPattern"));
static_assert(well_formed(SMUP_DIAG_RATIO_DIVIDE_BY_ZERO, "smup::ratio"));

// The self-check helper really rejects texts of the wrong shape.
static_assert(!well_formed("ratio: bad.", "smup::ratio"));
static_assert(!well_formed("smup::ratio bad. why. fix.", "smup::ratio"));
static_assert(!well_formed("smup::ratio: bad. why", "smup::ratio"));
static_assert(!well_formed("smup::ratio: only one sentence.", "smup::ratio"));

} // namespace
