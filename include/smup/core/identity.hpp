#pragma once
/// smup::Identity: what makes a model or an optimizer that one, as key/value text that a
/// checkpoint records and compares, and the exact text of the numbers in it.
///
///     smup::Identity id{{"beta1", smup::exact_text(0.9)}, {"density", smup::ratio_text({1, 16})}};

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <smup/core/ratio.hpp>

namespace smup {

using Identity = std::vector<std::pair<std::string, std::string>>;

/// A double to 17 significant digits: reads back to the same bits.
inline std::string exact_text(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", x);
  return text;
}

/// "1/16", "1".
inline std::string ratio_text(ratio r) {
  return r.den == 1 ? std::to_string(r.num) : std::to_string(r.num) + "/" + std::to_string(r.den);
}

} // namespace smup
