#pragma once
/// smup::Dense: every weight kept; the baseline every sparse pattern is measured against.
///
///     static_assert(smup::Dense::density == smup::ratio{1});

#include <string_view>

#include <smup/core/ratio.hpp>
#include <smup/sparsity/concepts.hpp>

namespace smup {

struct Dense {
  using sparsity_concept = sparsity_tag;
  static constexpr std::string_view name = "dense";
  static constexpr bool has_static_density = true;
  static constexpr ratio density{1};
};

} // namespace smup
