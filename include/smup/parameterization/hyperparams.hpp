#pragma once
/// smup::HyperParams: the base hyper-parameters, tuned once on the small base model.
///
///     constexpr smup::HyperParams base{.sigma = 0.05, .eta = 0x1p-9, .alpha_out = 2.0};
///
/// They are more than (sigma, eta): muP practice also tunes the input and output
/// multipliers and a separate learning-rate multiplier for the non-hidden tensors
/// (embeddings, readout, biases, norm gains), all transferred unchanged.

#include <limits>
#include <string>
#include <string_view>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/identity.hpp>
#include <smup/parameterization/weight_decay_policy.hpp>

namespace smup {

struct HyperParams {
  double sigma = 0.02;             ///< base init standard deviation of every matrix
  double eta = 1e-3;               ///< base learning rate
  double alpha_in = 1.0;           ///< input / embedding forward multiplier
  double alpha_out = 1.0;          ///< readout forward multiplier (divided by m_d under muP/SmuP)
  double lr_mult_non_hidden = 1.0; ///< extra lr factor for input, readout, biases, norm gains
  double weight_decay = 0.0;       ///< decay coefficient of matrices
  WeightDecayPolicy weight_decay_policy = WeightDecayPolicy::by_parameterization;
  bool decay_biases_and_gains = false; ///< decaying them is rarely wanted
  /// The input (embedding) and readout matrices decay too; GPT practice often exempts
  /// embeddings. Hidden matrices always decay.
  bool decay_input_and_readout = true;
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

/// The first field in which two sets of hyper-parameters differ, as "name a vs b"; empty
/// when they are equal. Names what an optimizer built with other values than its
/// model's got wrong.
inline std::string first_difference(HyperParams const& a, HyperParams const& b) {
  auto const field = [](char const* name, double x, double y) {
    return x == y ? std::string()
                  : std::string(name) + " " + exact_text(x) + " vs " + exact_text(y);
  };
  for (auto const& d :
       {field("sigma", a.sigma, b.sigma), field("eta", a.eta, b.eta),
        field("alpha_in", a.alpha_in, b.alpha_in), field("alpha_out", a.alpha_out, b.alpha_out),
        field("lr_mult_non_hidden", a.lr_mult_non_hidden, b.lr_mult_non_hidden),
        field("weight_decay", a.weight_decay, b.weight_decay)})
    if (!d.empty()) return d;
  if (a.weight_decay_policy != b.weight_decay_policy)
    return "weight_decay_policy " + std::string(to_string(a.weight_decay_policy)) + " vs " +
           std::string(to_string(b.weight_decay_policy));
  auto const flag = [](char const* name, bool x, bool y) {
    return std::string(name) + (x ? " true" : " false") + " vs " + (y ? "true" : "false");
  };
  if (a.decay_biases_and_gains != b.decay_biases_and_gains)
    return flag("decay_biases_and_gains", a.decay_biases_and_gains, b.decay_biases_and_gains);
  if (a.decay_input_and_readout != b.decay_input_and_readout)
    return flag("decay_input_and_readout", a.decay_input_and_readout, b.decay_input_and_readout);
  return {};
}

} // namespace smup
