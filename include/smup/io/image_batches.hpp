#pragma once
/// Turns labelled images into [features][batch] batches on a Kokkos memory space:
/// pixels scaled to [0, 1], then standardised with the training set's mean and
/// standard deviation (one value each, over all pixels), as the MLP demo trains.
///
///     auto data = smup::io::load_fashion_mnist();
///     auto norm = smup::io::Standardization::of(data.train.images);
///     smup::io::ImageBatches<float, Kokkos::DefaultExecutionSpace> train(data.train, norm, 128,
///     seed); for (std::int64_t b = 0; b < train.batches_per_epoch(); ++b) {
///       auto [x, labels] = train.batch(epoch, b);   // shuffled per epoch, deterministic
///     }

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/io/fashion_mnist.hpp>
#include <smup/kernels/views.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup::io {

struct Standardization {
  double mean = 0.0; ///< of pixel / 255
  double std = 1.0;  ///< of pixel / 255

  static Standardization of(IdxImages const& images) {
    if (images.pixels.empty())
      smup::detail::fail(
          "smup::io::Standardization: no pixels to measure. Pass the training images.");
    double sum = 0.0, sq = 0.0;
    for (auto p : images.pixels) {
      double const v = p / 255.0;
      sum += v;
      sq += v * v;
    }
    double const n = double(images.pixels.size());
    double const mean = sum / n;
    double const var = std::max(sq / n - mean * mean, 0.0);
    if (!(var > 0))
      smup::detail::fail("smup::io::Standardization: every pixel has the same value, so there is "
                         "no spread to divide by. Check the images.");
    return {mean, std::sqrt(var)};
  }
};

template <class Scalar, class ExecutionSpace> class ImageBatches {
public:
  using Matrix = Activations<Scalar, ExecutionSpace>;
  using Labels = Kokkos::View<int*, typename ExecutionSpace::memory_space>;
  struct Batch {
    Matrix x;
    Labels labels;
  };

  /// batch_size columns per batch; the last partial batch of an epoch is dropped when
  /// shuffling (training) and kept when not (evaluation: every image counts once).
  ImageBatches(LabelledImages const& data, Standardization norm, std::int64_t batch_size,
               std::uint64_t shuffle_seed, bool shuffle = true)
      : data_(&data), norm_(norm), batch_size_(batch_size), seed_(shuffle_seed), shuffle_(shuffle) {
    if (batch_size < 1)
      smup::detail::fail("smup::io::ImageBatches: batch_size must be at least 1 (got " +
                         std::to_string(batch_size) + ").");
    if (data.images.count < (shuffle ? batch_size : 1))
      smup::detail::fail("smup::io::ImageBatches: " + std::to_string(data.images.count) +
                         " images cannot fill a batch of " + std::to_string(batch_size) + ".");
  }

  [[nodiscard]] std::int64_t batches_per_epoch() const {
    auto const n = data_->images.count;
    return shuffle_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
  }

  /// Batch `index` of epoch `epoch`: the same (seed, epoch, index) gives the same batch.
  Batch batch(std::int64_t epoch, std::int64_t index) {
    if (index < 0 || index >= batches_per_epoch())
      smup::detail::fail("smup::io::ImageBatches: batch " + std::to_string(index) +
                         " is outside the epoch's " + std::to_string(batches_per_epoch()) + ".");
    if (epoch != order_epoch_) reorder(epoch);
    auto const first = index * batch_size_;
    auto const count = std::min(batch_size_, data_->images.count - first);
    auto const features = data_->images.pixels_per_image();
    if (!host_x_.data() || static_cast<std::int64_t>(host_x_.extent(1)) != count) {
      x_ = Matrix("smup::io::ImageBatches::x", features, count);
      labels_ = Labels("smup::io::ImageBatches::labels", count);
      host_x_ = Kokkos::create_mirror(x_);
      host_labels_ = Kokkos::create_mirror(labels_);
    }
    for (std::int64_t b = 0; b < count; ++b) {
      auto const image = order_[static_cast<std::size_t>(first + b)];
      auto const* px = data_->images.pixels.data() + image * features;
      for (std::int64_t f = 0; f < features; ++f)
        host_x_(f, b) = static_cast<Scalar>((px[f] / 255.0 - norm_.mean) / norm_.std);
      host_labels_(b) = data_->labels[static_cast<std::size_t>(image)];
    }
    Kokkos::deep_copy(x_, host_x_);
    Kokkos::deep_copy(labels_, host_labels_);
    return {x_, labels_};
  }

private:
  void reorder(std::int64_t epoch) {
    order_.resize(static_cast<std::size_t>(data_->images.count));
    std::iota(order_.begin(), order_.end(), std::int64_t{0});
    if (shuffle_) {
      // Sorting by a counter hash gives a permutation that depends only on (seed, epoch).
      auto const key = [&](std::int64_t i) {
        return smup::detail::counter_hash(seed_, static_cast<std::uint64_t>(epoch),
                                          static_cast<std::uint64_t>(i));
      };
      std::sort(order_.begin(), order_.end(),
                [&](std::int64_t a, std::int64_t b) { return key(a) < key(b); });
    }
    order_epoch_ = epoch;
  }

  LabelledImages const* data_;
  Standardization norm_;
  std::int64_t batch_size_;
  std::uint64_t seed_;
  bool shuffle_;
  std::vector<std::int64_t> order_;
  std::int64_t order_epoch_ = -1;
  Matrix x_;
  Labels labels_;
  typename Matrix::HostMirror host_x_;
  typename Labels::HostMirror host_labels_;
};

} // namespace smup::io
