#pragma once
/// The shapes a transfer goes between: the base model the hyper-parameters were
/// tuned on, and the target model they are used for.
///
///     constexpr smup::BaseShape base{.width = 128};                       // dense
///     constexpr smup::TargetShape target{.width = 1024, .density = {1, 16}, .hidden_layers = 4};

#include <cstdint>

#include <smup/core/ratio.hpp>

namespace smup {

struct BaseShape {
  std::int64_t width = 0; ///< hidden width d_base
  ratio density{1};       ///< density of the hidden matrices, normally 1
};

struct TargetShape {
  std::int64_t width = 0; ///< hidden width d
  ratio density{1};       ///< density of every hidden matrix
  int hidden_layers = 1;  ///< number of hidden (width x width) matrices
};

} // namespace smup
