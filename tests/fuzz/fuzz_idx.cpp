// The IDX readers (smup/io/idx.hpp) on arbitrary bytes, as images and as labels: either
// smup::error, or extents that describe exactly the bytes read.
#include <cstddef>
#include <cstdint>
#include <span>

#include <smup/core/error.hpp>
#include <smup/io/idx.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::span<std::uint8_t const> const bytes(data, size);
  try {
    auto const images = smup::io::parse_idx_images(bytes, "fuzz-images");
    SMUP_FUZZ_CHECK(images.count >= 0 && images.rows >= 0 && images.cols >= 0);
    // What the image batches compute from the extents must be the pixels held.
    SMUP_FUZZ_CHECK(static_cast<std::size_t>(images.count * images.pixels_per_image()) ==
                    images.pixels.size());
  } catch (smup::error const&) {
  }
  try {
    int const classes = 10;
    auto const labels = smup::io::parse_idx_labels(bytes, "fuzz-labels", classes);
    SMUP_FUZZ_CHECK(labels.size() + 8 == size);
    for (auto label : labels) SMUP_FUZZ_CHECK(label < classes);
  } catch (smup::error const&) {
  }
  return 0;
}
