#pragma once
/// The identity of a model (smup/core/identity.hpp): parameterization, pattern, shapes,
/// density, base shape, hyper-parameters, seed. Checkpoints record a model's
/// identity and refuse to load into a model whose identity differs.
///
///     for (auto const& [key, value] : model.identity()) std::cout << key << '=' << value << '\n';

#include <cstdint>
#include <string>
#include <utility>

#include <smup/core/identity.hpp>
#include <smup/core/ratio.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/shape.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/concepts.hpp>
#include <smup/sparsity/nm.hpp>

namespace smup {

namespace detail {

template <class> inline constexpr bool is_nm = false;
template <int N, int M> inline constexpr bool is_nm<NM<N, M>> = true;
template <class> inline constexpr bool is_block = false;
template <int R, int C> inline constexpr bool is_block<Block<R, C>> = true;

} // namespace detail

/// The pattern with its parameters: "n:m 2:4", "block 16x16", "unstructured".
template <SparsityPattern S> std::string pattern_text() {
  if constexpr (detail::is_nm<S>)
    return std::string(S::name) + " " + std::to_string(S::kept_per_group) + ":" +
           std::to_string(S::group_size);
  else if constexpr (detail::is_block<S>)
    return std::string(S::name) + " " + std::to_string(S::block_rows) + "x" +
           std::to_string(S::block_cols);
  else
    return std::string(S::name);
}

/// Every base hyper-parameter, exactly (doubles to 17 digits).
inline std::string hyperparams_text(HyperParams const& hp) {
  return "sigma=" + exact_text(hp.sigma) + " eta=" + exact_text(hp.eta) +
         " alpha_in=" + exact_text(hp.alpha_in) + " alpha_out=" + exact_text(hp.alpha_out) +
         " lr_mult_non_hidden=" + exact_text(hp.lr_mult_non_hidden) +
         " weight_decay=" + exact_text(hp.weight_decay) +
         " weight_decay_policy=" + std::string(to_string(hp.weight_decay_policy)) +
         " decay_biases_and_gains=" + (hp.decay_biases_and_gains ? "true" : "false") +
         " decay_input_and_readout=" + (hp.decay_input_and_readout ? "true" : "false");
}

/// The entries every model shares, after its kind.
template <class P, class S> Identity model_identity(std::string kind, ratio density, BaseShape base,
                                                    HyperParams const& hp, std::uint64_t seed) {
  return {{"kind", std::move(kind)},
          {"parameterization", std::string(P::name)},
          {"pattern", pattern_text<S>()},
          {"density", ratio_text(density)},
          {"base_width", std::to_string(base.width)},
          {"base_density", ratio_text(base.density)},
          {"hyperparams", hyperparams_text(hp)},
          {"seed", std::to_string(seed)}};
}

} // namespace smup
