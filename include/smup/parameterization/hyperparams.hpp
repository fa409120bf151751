#pragma once
/// smup::HyperParams: the base hyper-parameters, tuned once on the small base model.
///
///     constexpr smup::HyperParams base{.sigma = 0.05, .eta = 0x1p-9, .alpha_out = 2.0};
///
/// They are more than (sigma, eta): muP practice also tunes the input and output
/// multipliers and a separate learning-rate multiplier for the non-hidden tensors
/// (embeddings, readout, biases, norm gains), all transferred unchanged.

#include <limits>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>

namespace smup {

/// How weight decay enters the update (both are common; results depend on it).
enum class WeightDecayPolicy {
  /// PyTorch AdamW: w -= lr_tensor * weight_decay * w. The decay per step scales
  /// with each tensor's learning rate, so it follows the parameterization.
  coupled,
  /// w -= schedule(t) * weight_decay * w, the same for every tensor whatever its
  /// learning rate (Loshchilov & Hutter's fully decoupled form).
  independent,
};

struct HyperParams {
  double sigma = 0.02;             ///< base init standard deviation of every matrix
  double eta = 1e-3;               ///< base learning rate
  double alpha_in = 1.0;           ///< input / embedding forward multiplier
  double alpha_out = 1.0;          ///< readout forward multiplier (divided by m_d under muP/SmuP)
  double lr_mult_non_hidden = 1.0; ///< extra lr factor for input, readout, biases, norm gains
  double weight_decay = 0.0;       ///< decay coefficient of matrices
  WeightDecayPolicy weight_decay_policy = WeightDecayPolicy::coupled;
  bool decay_biases_and_gains = false; ///< decaying them is rarely wanted
};

namespace detail {
// NaN fails both comparisons, infinity the second.
constexpr bool positive_finite(double x) {
  return x > 0.0 && x <= std::numeric_limits<double>::max();
}
} // namespace detail

/// Checks every base hyper-parameter; a bad value is a compile error in a
/// constant expression and smup::error at run time.
constexpr HyperParams const& checked(HyperParams const& hp) {
  detail::require<SMUP_DIAG_HP_SIGMA>(detail::positive_finite(hp.sigma));
  detail::require<SMUP_DIAG_HP_ETA>(detail::positive_finite(hp.eta));
  detail::require<SMUP_DIAG_HP_MULTIPLIER>(detail::positive_finite(hp.alpha_in) &&
                                           detail::positive_finite(hp.alpha_out) &&
                                           detail::positive_finite(hp.lr_mult_non_hidden));
  detail::require<SMUP_DIAG_HP_WEIGHT_DECAY>(hp.weight_decay == 0.0 ||
                                             detail::positive_finite(hp.weight_decay));
  return hp;
}

} // namespace smup
