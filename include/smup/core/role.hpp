#pragma once
/// Parameter roles and optimizer families: the two keys of every scaling rule.

#include <array>
#include <string_view>

namespace smup {

/// What a tensor does in the network; the parameterization scales each role differently.
enum class Role {
  input,  ///< input / embedding weights: finite fan-in, width-sized fan-out
  hidden, ///< width x width matrices, the only ones that may be sparse
  output, ///< readout: width-sized fan-in, finite fan-out
  bias,   ///< width-sized additive vectors: biases of input and hidden layers, norm biases
  /// The readout's bias: one entry per output, no width dimension at all, so no
  /// parameterization scales its learning rate with width (microsoft/mup gives it eta).
  output_bias,
  norm_gain, ///< per-feature gains of normalisation layers
};

inline constexpr std::array<Role, 6> all_roles{Role::input, Role::hidden,      Role::output,
                                               Role::bias,  Role::output_bias, Role::norm_gain};

/// Adam-like optimizers normalise the update per entry (Theta(lr)); SGD-like ones
/// do not, so their learning-rate rules differ.
enum class OptimizerFamily { adam, sgd };

[[nodiscard]] constexpr std::string_view to_string(Role role) {
  switch (role) {
  case Role::input: return "input";
  case Role::hidden: return "hidden";
  case Role::output: return "output";
  case Role::bias: return "bias";
  case Role::output_bias: return "output_bias";
  case Role::norm_gain: return "norm_gain";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::string_view to_string(OptimizerFamily family) {
  return family == OptimizerFamily::adam ? "adam" : "sgd";
}

/// Matrices (input, hidden, output) have a fan-in; vectors (biases, norm gains) do not.
[[nodiscard]] constexpr bool is_matrix(Role role) {
  return role == Role::input || role == Role::hidden || role == Role::output;
}

} // namespace smup
