#pragma once
// One training run of the Fashion-MNIST MLP examples: `steps` optimizer steps over the
// shuffled training images, the mean training loss of the last `recent` steps, then the
// loss and accuracy over the whole test split. A loss or gradient that is not finite, or
// a loss above 1e4, ends the run as diverged (smup::RunDiverged, naming the step).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include <smup/diagnostics/sweep.hpp>
#include <smup/io/fashion_mnist.hpp>
#include <smup/io/image_batches.hpp>
#include <smup/optim/clip.hpp>
#include <smup/optim/divergence.hpp>

#include "no_progress.hpp"

namespace smup_example {

/// The images and the standardisation computed from the training split.
struct ImageData {
  smup::io::FashionMnist raw;
  smup::io::Standardization norm;
};

/// Fashion-MNIST from `dir`, its training split cut to the first `train_images` (0: all,
/// for short runs), standardised with what is left of it.
inline ImageData load_image_data(std::filesystem::path const& dir, std::int64_t train_images) {
  ImageData data{smup::io::load_fashion_mnist(dir), {}};
  if (train_images > 0) {
    auto& t = data.raw.train;
    t.images.count = std::min(t.images.count, train_images);
    t.images.pixels.resize(static_cast<std::size_t>(t.images.count * t.images.pixels_per_image()));
    t.labels.resize(static_cast<std::size_t>(t.images.count));
  }
  data.norm = smup::io::Standardization::of(data.raw.train.images);
  return data;
}

/// Loss and accuracy over the whole test split (train_loss left 0).
template <class Model> smup::RunResult test_metrics(Model& model, ImageData& data) {
  using E = typename Model::execution_space;
  smup::io::ImageBatches<float, E> test(data.raw.test, data.norm, 1000, 0, /*shuffle=*/false);
  double loss_sum = 0;
  std::int64_t correct = 0, seen = 0;
  for (std::int64_t b = 0; b < test.batches_per_epoch(); ++b) {
    auto [x, labels] = test.batch(0, b);
    auto const eval = model.evaluate(x, labels);
    loss_sum += eval.loss * double(x.extent(1));
    correct += eval.correct;
    seen += static_cast<std::int64_t>(x.extent(1));
  }
  return {.val_loss = loss_sum / double(seen), .val_acc = double(correct) / double(seen)};
}

/// `steps` optimizer steps, then the test metrics; on_step(steps_done, model) runs after
/// every step, e.g. to record a learning curve.
template <class Model, class Optimizer, class OnStep = NoProgress>
smup::RunResult train_and_test(Model& model, Optimizer& optimizer, ImageData& data, int steps,
                               std::int64_t batch, std::uint64_t seed, int recent,
                               OnStep on_step = {}) {
  using E = typename Model::execution_space;
  smup::io::ImageBatches<float, E> train(data.raw.train, data.norm, batch, seed);
  double recent_sum = 0;
  int recent_count = 0;
  for (int step = 0; step < steps; ++step) {
    auto const per_epoch = train.batches_per_epoch();
    auto [x, labels] = train.batch(step / per_epoch, step % per_epoch);
    // model.train_step, with the loss and gradient checked before the update (steps
    // counted from 1).
    double const loss = model.loss_and_gradients(x, labels);
    smup::require_finite_step(step + 1, loss, smup::gradient_norm(model), /*max_loss=*/1e4);
    optimizer.step(model);
    if (step >= steps - recent) {
      recent_sum += loss;
      ++recent_count;
    }
    on_step(step + 1, model);
  }
  auto result = test_metrics(model, data);
  result.train_loss = recent_sum / recent_count;
  return result;
}

} // namespace smup_example
