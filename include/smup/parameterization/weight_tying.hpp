#pragma once
/// Whether one matrix can serve as both the token embedding and the readout under P.
/// A tensor has one init and one learning rate, so P must give the input and output
/// roles the same init variance and the same learning rate for both optimizer
/// families; their forward multipliers may differ, since each use applies its own.
/// SP, muP (in the Table 8 form, where the readout's 1/m_d is a multiplier) and SmuP
/// all pass; a muP that shrinks the readout through its init (Table 3) does not.
///
///     static_assert(smup::ties_input_and_output<smup::SMuP>);

#include <smup/core/role.hpp>
#include <smup/parameterization/concepts.hpp>

namespace smup {

template <Parameterization P> inline constexpr bool ties_input_and_output =
    P::init_variance(Role::input) == P::init_variance(Role::output) &&
    P::learning_rate(Role::input,
                     OptimizerFamily::adam) == P::learning_rate(Role::output,
                                                                OptimizerFamily::adam) &&
    P::learning_rate(Role::input, OptimizerFamily::sgd) == P::learning_rate(Role::output,
                                                                            OptimizerFamily::sgd);

} // namespace smup
