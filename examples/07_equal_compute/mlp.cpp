// example_07_equal_compute's MLP: the Fashion-MNIST MLP of examples 01 and 06, its LR tuned
// at width d dense, then d dense against 2d at density 1/4 and 4d at density 1/16 with
// unstructured, 1:M and 8 x 8 block sparsity.
#include <cmath>
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <smup/core/parse_ratio.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include "../common/image_training.hpp"
#include "../common/pattern_by_name.hpp"
#include "study.hpp"

namespace smup_example::equal_compute {
namespace {

/// 8 x 8 blocks, as example 06: at width 512 and density 1/16 each block row keeps 4.
using MlpBlock = smup::Block<8, 8>;

constexpr std::int64_t pixels = 784, classes = 10;

/// The matrix-product FLOPs of one training step of `model` on `batch` images, counted as
/// smup computes them: 6 x kept weights x batch for every hidden matrix (forward 2,
/// gradient of the input 2, gradient of the weights 2) and for the dense readout
/// (width x 10); 4 x 784 x width x batch for the input layer, whose input gradient smup
/// skips (nothing needs it). Biases and element-wise work are not counted.
template <class Model>
double mlp_flops_per_step(Model const& model, std::int64_t batch, std::int64_t& hidden_kept) {
  auto const& shape = model.shape();
  hidden_kept = 0;
  model.for_each_hidden_weights([&](auto const& w) { hidden_kept += w.kept(); });
  double const columns = double(batch);
  return 4.0 * double(shape.in) * double(shape.width) * columns +
         6.0 * double(hidden_kept) * columns +
         6.0 * double(shape.width) * double(shape.out) * columns;
}

smup::HyperParams hyperparams(Settings const& s, double lr) {
  return {.sigma = s.mlp_sigma, .eta = lr};
}

template <class S> auto make_model(Settings const& s, std::int64_t width, smup::ratio density,
                                   double lr, std::uint64_t seed) {
  return smup::MLP<smup::SMuP, S>({.in = pixels,
                                   .width = width,
                                   .hidden_layers = s.mlp_hidden_layers,
                                   .out = classes,
                                   .density = density},
                                  {.width = s.mlp_base_width}, hyperparams(s, lr), seed);
}

smup::RunResult tune_one(Settings const& s, ImageData& data, double lr, std::uint64_t seed) {
  auto model = make_model<smup::Unstructured>(s, s.mlp_base_width, smup::ratio{1}, lr, seed);
  smup::Adam<smup::SMuP> adam(model, hyperparams(s, lr), {.beta1 = 0.9, .beta2 = 0.999});
  return train_and_test(model, adam, data, s.mlp_steps, s.mlp_batch, seed, /*recent=*/50);
}

Curve compare_one(Settings const& s, ImageData& data, Config const& c, double lr,
                  std::uint64_t seed, std::vector<int> const& record_at) {
  auto const density = smup::parse_ratio(c.density);
  return with_pattern<MlpBlock>(c.pattern, density, [&](auto pattern) {
    using S = decltype(pattern);
    Curve curve;
    Recorder recorder{.record_at = record_at,
                      .samples_per_step = double(s.mlp_batch),
                      .flops_per_step = 0,
                      .points = curve.points};
    auto model = make_model<S>(s, c.width, density, lr, seed);
    smup::Adam<smup::SMuP> adam(model, hyperparams(s, lr), {.beta1 = 0.9, .beta2 = 0.999});
    curve.flops_per_step = mlp_flops_per_step(model, s.mlp_batch, curve.hidden_kept);
    curve.params = static_cast<std::int64_t>(model.storage_bytes(0).values / sizeof(float));
    recorder.flops_per_step = curve.flops_per_step;
    auto const on_step = [&](int step, auto& trained) {
      recorder.after_step(step, [&] { return test_metrics(trained, data).val_loss; });
    };
    try {
      train_and_test(model, adam, data, s.mlp_steps, s.mlp_batch, seed, /*recent=*/50, on_step);
    } catch (smup::RunDiverged const& e) {
      std::cerr << "diverged: " << e.what() << " ... ";
      curve.points.push_back({.step = s.mlp_steps,
                              .samples = s.mlp_steps * recorder.samples_per_step,
                              .flops = s.mlp_steps * curve.flops_per_step,
                              .seconds = recorder.clock.pause(),
                              .val_loss = std::nan("")});
    }
    return curve;
  });
}

} // namespace

std::string mlp_study(Settings const& s) {
  ImageData data = load_image_data(s.data, s.train_images);
  std::ostringstream description;
  description << "MLP on Fashion-MNIST: 784 -> " << s.mlp_hidden_layers
              << " hidden ReLU layers -> 10; Adam (beta 0.9 / 0.999), " << s.mlp_steps
              << " steps of " << s.mlp_batch << " images ("
              << double(s.mlp_steps) * double(s.mlp_batch) / 1e3 << " k images in all"
              << (s.train_images > 0
                      ? ", from the first " + std::to_string(s.train_images) + " training images"
                      : std::string())
              << "), sigma " << s.mlp_sigma
              << "; validation loss on the 10,000 test images. Block pattern: 8 x 8 blocks "
                 "(block8x8).\n\n"
              << "FLOPs counted per training step: 6 x kept weights x batch for every hidden "
                 "matrix (forward 2, input gradient 2, weight gradient 2) and for the dense "
                 "readout (width x 10); 4 x 784 x width x batch for the input layer, whose "
                 "input gradient is not computed. Element-wise work is not counted. The input "
                 "layer and the readout grow with the width, so the wider sparse models do "
                 "more FLOPs per step than the dense one even though their hidden matrices "
                 "keep the same number of weights.";
  ModelStudy const m{
      .model = "mlp",
      .title = "MLP on Fashion-MNIST",
      .samples_name = "images",
      .description = description.str(),
      .block = block_pattern_name<MlpBlock>(),
      .base_width = s.mlp_base_width,
      .lr_first = s.mlp_lr_first,
      .lr_last = s.mlp_lr_last,
      .steps = s.mlp_steps,
      .samples_per_step = double(s.mlp_batch),
      .tune = [&](double lr, std::uint64_t seed) { return tune_one(s, data, lr, seed); },
      .compare =
          [&](Config const& c, double lr, std::uint64_t seed, std::vector<int> const& record_at) {
            return compare_one(s, data, c, lr, seed, record_at);
          }};
  return run_study(s, m);
}

} // namespace smup_example::equal_compute
