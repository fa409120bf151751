#pragma once
// The examples' parameterizations by name, as their sweeps record them: SP, muP, SmuP. An
// unknown name is an error listing the known ones, never a silent fallback to one of them.
#include <stdexcept>
#include <string>
#include <string_view>

#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>

namespace smup_example {

/// f(P{}) for the parameterization P called `name`.
template <class F> decltype(auto) with_parameterization(std::string_view name, F&& f) {
  if (name == smup::SP::name) return f(smup::SP{});
  if (name == smup::MuP::name) return f(smup::MuP{});
  if (name == smup::SMuP::name) return f(smup::SMuP{});
  throw std::invalid_argument("unknown parameterization '" + std::string(name) +
                              "'; the examples know " + std::string(smup::SP::name) + ", " +
                              std::string(smup::MuP::name) + " and " +
                              std::string(smup::SMuP::name));
}

} // namespace smup_example
