// An optimizer whose parameterization differs from the model's would train with
// learning rates from other rules than the initialisation: a compile error.
// SMUP_EXPECT_ERROR: smup::optimizer: the optimizer's parameterization differs from the model's
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sparse_mup.hpp>

void build(smup::MLP<smup::SMuP, smup::Dense>& model, smup::HyperParams const& hp) {
  smup::Adam<smup::MuP> adam(model, hp);
}
