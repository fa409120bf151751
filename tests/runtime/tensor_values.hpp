#pragma once
// A model's trainable values copied to the host, tensor by tensor in for_each_tensor
// order: what tests compare before and after a step, a save or a load.
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/optim/tensor.hpp>

namespace smup_test {

template <class Model> auto tensor_values(Model& model) {
  using Scalar = typename Model::scalar_type;
  std::vector<std::vector<Scalar>> out;
  model.for_each_tensor([&](smup::Tensor<Scalar, typename Model::execution_space> const& t) {
    auto const v = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, t.values);
    out.emplace_back(v.data(), v.data() + v.extent(0));
  });
  return out;
}

} // namespace smup_test
