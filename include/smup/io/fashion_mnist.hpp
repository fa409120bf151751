#pragma once
/// Fashion-MNIST (Zalando's 28x28 grey-scale clothing images, 10 classes) from the
/// four IDX files of Debian's dataset-fashion-mnist package or any folder holding them.
///
///     auto data = smup::io::load_fashion_mnist();      // /usr/share/datasets/fashion-mnist
///     data.train.images.count == 60000, data.test.images.count == 10000

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <smup/core/error.hpp>
#include <smup/io/idx.hpp>

namespace smup::io {

struct LabelledImages {
  IdxImages images;
  std::vector<std::uint8_t> labels; ///< one per image, in [0, classes)
};

struct FashionMnist {
  static constexpr int classes = 10;
  LabelledImages train; ///< the official 60k training split
  LabelledImages test;  ///< the official 10k test split
};

inline constexpr char const* default_fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

/// Reads `<prefix>-images-idx3-ubyte[.gz]` with its labels and checks they pair up.
inline LabelledImages read_labelled_images(std::filesystem::path const& dir,
                                           std::string const& prefix, int classes) {
  auto const pick = [&](std::string const& stem) {
    auto const gz = dir / (stem + ".gz");
    return std::filesystem::exists(gz) ? gz : dir / stem;
  };
  auto const image_path = pick(prefix + "-images-idx3-ubyte");
  auto const label_path = pick(prefix + "-labels-idx1-ubyte");
  LabelledImages out{read_idx_images(image_path), read_idx_labels(label_path, classes)};
  if (static_cast<std::int64_t>(out.labels.size()) != out.images.count)
    smup::detail::fail("smup::io::read_idx: '" + label_path.string() + "' has " +
                       std::to_string(out.labels.size()) + " labels but '" + image_path.string() +
                       "' has " + std::to_string(out.images.count) +
                       " images. Each image needs exactly one label; the files do not belong "
                       "together.");
  return out;
}

inline FashionMnist
load_fashion_mnist(std::filesystem::path const& dir = default_fashion_mnist_dir) {
  return {read_labelled_images(dir, "train", FashionMnist::classes),
          read_labelled_images(dir, "t10k", FashionMnist::classes)};
}

} // namespace smup::io
