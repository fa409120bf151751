#pragma once
/// smup::Tensor: what an optimizer sees of one trainable array — its values, its
/// gradient (same compressed layout) and the per-tensor rules the parameterization
/// gave it (learning rates, weight decay, role). Layers hand these out through
/// for_each_tensor(f); the user never sets a per-tensor learning rate by hand.

#include <smup/kernels/views.hpp>
#include <smup/parameterization/layer_hyperparams.hpp>

namespace smup {

template <class Scalar, class ExecutionSpace> struct Tensor {
  WeightValues<Scalar, ExecutionSpace> values;
  WeightValues<Scalar, ExecutionSpace> grad;
  LayerHyperParams rules;
};

} // namespace smup
