#pragma once
/// The attention-logit scale of a parameterization: logits are multiplied by
/// d_head^P::attention_logit_exponent (1/sqrt(d_head) in SP, 1/d_head in muP and SmuP,
/// so that query-key products, which become correlated during training, stay Theta(1)).
///
///     double s = smup::attention_scale<smup::SMuP>(32);   // 1/32

#include <cstdint>

#include <smup/core/monomial.hpp>
#include <smup/core/ratio.hpp>
#include <smup/parameterization/concepts.hpp>

namespace smup {

template <Parameterization P> constexpr double attention_scale(std::int64_t head_dim) {
  // d_head^e is m_d^e evaluated at m_d = d_head / 1.
  return pow(m_d, ratio{P::attention_logit_exponent}).at(width_ratio(head_dim, 1), ratio{1});
}

} // namespace smup
