#pragma once
/// smup::Linear<P, S, E, Scalar, R>: y = multiplier * W x + b, with W stored in the
/// format of sparsity pattern S and initialised, scaled and trained by the rules of
/// parameterization P for role R.
///
///     smup::BaseShape base{.width = 128};
///     smup::HyperParams hp{.sigma = 0.05, .eta = 0x1p-9};
///     smup::Linear<smup::SMuP, smup::Unstructured> hidden({.in = 1024, .out = 1024, .density = {1,
///     16}},
///                                                         base, hp, /*seed=*/7);
///     hidden.forward(x, y);
///     hidden.backward(x, dy, dx);     // fills the weight and bias gradients, writes dx
///
/// Only hidden layers may be sparse (a compile error otherwise): SmuP scales density
/// in hidden matrices only. The model width that sets m_d is the fan-out of an input
/// layer and the fan-in of a hidden or output layer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/core/diagnostics.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/kernels/formats.hpp>
#include <smup/kernels/sparse_weights.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>
#include <smup/layers/init.hpp>
#include <smup/layers/linear_kernels.hpp>
#include <smup/optim/tensor.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/sparsity/concepts.hpp>
#include <smup/sparsity/counter_hash.hpp>
#include <smup/sparsity/dense.hpp>

namespace smup {

namespace detail {
template <class S> constexpr ratio default_density() {
  if constexpr (StaticDensityPattern<S>)
    return ratio{S::density};
  else
    return ratio{1};
}

} // namespace detail

template <Parameterization P, SparsityPattern S, class E = Kokkos::DefaultExecutionSpace,
          class Scalar = float, Role R = Role::hidden>
class Linear {
  static_assert(R == Role::input || R == Role::hidden || R == Role::output, SMUP_DIAG_LINEAR_ROLE);
  static_assert(R == Role::hidden || std::is_same_v<S, Dense>, SMUP_DIAG_SPARSE_NON_HIDDEN_LAYER);

public:
  using parameterization = P;
  using pattern = S;
  using execution_space = E;
  using scalar_type = Scalar;
  using Weights = SparseWeights<S, E, Scalar>;
  static constexpr Role role = R;
  /// The readout's bias has no width dimension; the other biases are width-sized.
  static constexpr Role bias_role = R == Role::output ? Role::output_bias : Role::bias;

  struct Shape {
    std::int64_t in = 0;
    std::int64_t out = 0;
    ratio density = detail::default_density<S>(); ///< kept fraction of W (hidden layers)
    bool bias = true;
  };

  Linear(Shape shape, BaseShape base, HyperParams const& hp, std::uint64_t seed)
      : shape_(shape), rules_(layer_hyperparams<P>(hp, base, model_width(shape), shape.density, R)),
        bias_rules_(layer_hyperparams<P>(hp, base, model_width(shape), ratio{1}, bias_role)),
        hp_(hp), weights_(shape.out, shape.in, shape.density, seed),
        weight_grad_("smup::Linear::weight_grad", static_cast<std::size_t>(weights_.kept())),
        bias_("smup::Linear::bias", shape.bias ? static_cast<std::size_t>(shape.out) : 0),
        bias_grad_("smup::Linear::bias_grad",
                   shape.bias ? static_cast<std::size_t>(shape.out) : 0) {
    // The mask was drawn from `seed`; the values take a stream of their own.
    fill_normal(weights_.values(), rules_.init_std, detail::counter_hash(seed, 0x1a7e5, 1));
  }

  /// y = multiplier * W x + b.   x: [in][batch], y: [out][batch].
  void forward(Activations<Scalar, E> const& x, Activations<Scalar, E> const& y) const {
    detail::run_forward(weights_, x, y);
    detail::scale_add_bias<E>(y, static_cast<Scalar>(rules_.multiplier), bias_);
  }

  /// From dy = dL/dy: the weight and bias gradients (overwritten, not accumulated)
  /// and, when dx is not empty, dx = dL/dx.
  void backward(Activations<Scalar, E> const& x, Activations<Scalar, E> const& dy,
                Activations<Scalar, E> const& dx) {
    auto const mult = static_cast<Scalar>(rules_.multiplier);
    detail::run_weight_gradient(weights_, dy, x, weight_grad_);
    detail::scale_values<E>(weight_grad_, mult);
    if (shape_.bias) detail::bias_gradient<E>(dy, bias_grad_);
    if (dx.data() != nullptr) {
      detail::run_backward_data(weights_, dy, dx);
      auto const flat = Kokkos::View<Scalar*, typename E::memory_space, Kokkos::MemoryUnmanaged>(
          dx.data(), dx.span());
      detail::scale_values<E>(flat, mult);
    }
  }

  /// Calls f(Tensor&) for the weights, then the bias: the order optimizers keep state in.
  template <class F> void for_each_tensor(F&& f) {
    Tensor<Scalar, E> w{weights_.values(), weight_grad_, rules_};
    f(w);
    if (shape_.bias) {
      Tensor<Scalar, E> b{bias_, bias_grad_, bias_rules_};
      f(b);
    }
  }

  /// Memory of the weights (kept values and their index) and the bias, with
  /// `optimizer_states` arrays of optimizer state per tensor (2 for Adam).
  [[nodiscard]] StorageBytes storage_bytes(std::size_t optimizer_states = 0) const {
    auto bytes = smup::storage_bytes(weights_, optimizer_states);
    auto const bias_bytes = bias_.span() * sizeof(Scalar);
    bytes.values += bias_bytes;
    bytes.optimizer_state += optimizer_states * bias_bytes;
    return bytes;
  }

  [[nodiscard]] Shape const& shape() const { return shape_; }
  [[nodiscard]] LayerHyperParams const& rules() const { return rules_; }
  [[nodiscard]] LayerHyperParams const& bias_rules() const { return bias_rules_; }
  /// The base hyper-parameters the rules came from; optimizers check theirs against them.
  [[nodiscard]] HyperParams const& hyperparams() const { return hp_; }
  [[nodiscard]] Weights const& weights() const { return weights_; }
  [[nodiscard]] Weights& weights() { return weights_; }
  [[nodiscard]] WeightValues<Scalar, E> const& weight_grad() const { return weight_grad_; }
  [[nodiscard]] WeightValues<Scalar, E> const& bias() const { return bias_; }
  [[nodiscard]] WeightValues<Scalar, E> const& bias_grad() const { return bias_grad_; }

private:
  static std::int64_t model_width(Shape const& s) { return R == Role::input ? s.out : s.in; }

  Shape shape_;
  LayerHyperParams rules_;
  LayerHyperParams bias_rules_;
  HyperParams hp_;
  Weights weights_;
  WeightValues<Scalar, E> weight_grad_;
  WeightValues<Scalar, E> bias_;
  WeightValues<Scalar, E> bias_grad_;
};

} // namespace smup
