#pragma once
/// Readers for the IDX format of MNIST and Fashion-MNIST (gzip-compressed or plain).
///
///     auto images =
///     smup::io::read_idx_images("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
///     auto labels =
///     smup::io::read_idx_labels("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
///     10);
///
/// An IDX file is a big-endian header (magic 0x00000803 for a rank-3 array of
/// unsigned bytes, 0x00000801 for rank 1, then one 32-bit extent per dimension)
/// followed by the bytes. Every way a file can be wrong — missing, not IDX, the
/// wrong rank, shorter or longer than its header says, a label outside the class
/// range — is an smup::error that names the file. parse_idx_images and parse_idx_labels
/// make the same checks on bytes in memory, for tests and fuzzing.

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <zlib.h>

#include <smup/core/error.hpp>

namespace smup::io {

/// `count` images of `rows` x `cols` pixels, stored image after image, row-major.
struct IdxImages {
  std::int64_t count = 0;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<std::uint8_t> pixels;
  [[nodiscard]] std::int64_t pixels_per_image() const { return rows * cols; }
};

namespace detail {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

/// The whole (decompressed) content; gzread passes plain files through unchanged.
inline std::vector<std::uint8_t> read_all(std::filesystem::path const& path) {
  auto const where = "smup::io::read_idx: '" + path.string() + "': ";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    smup::detail::fail(where + "no such file. Check the path (Fashion-MNIST from Debian: "
                               "apt-get install dataset-fashion-mnist).");
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) smup::detail::fail(where + "cannot be opened for reading.");
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[1 << 16];
  for (;;) {
    int const n = gzread(file.get(), chunk, sizeof chunk);
    if (n < 0) smup::detail::fail(where + "the gzip stream is corrupt or truncated.");
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  // A gzip member cut short ends without error from gzread; zlib reports it here.
  int status = Z_OK;
  gzerror(file.get(), &status);
  if (status != Z_OK && status != Z_STREAM_END)
    smup::detail::fail(where + "the gzip stream is corrupt or truncated.");
  return bytes;
}

inline std::uint32_t big_endian_u32(std::span<std::uint8_t const> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

/// Checks magic and size; returns the extents of an unsigned-byte IDX array of `rank`.
inline std::vector<std::int64_t> idx_extents(std::span<std::uint8_t const> bytes,
                                             std::string const& where, int rank, char const* what) {
  std::size_t const header = 4 + 4 * static_cast<std::size_t>(rank);
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
    smup::detail::fail(where + "not an IDX file of unsigned bytes (wrong magic number).");
  if (bytes[3] != rank)
    smup::detail::fail(where + "holds a rank-" + std::to_string(bytes[3]) + " array, expected " +
                       what + " (rank " + std::to_string(rank) + ").");
  if (bytes.size() < header) smup::detail::fail(where + "truncated inside its header.");
  // From the innermost extent out, so that every partial product (one row, one image, the
  // whole array) is known to fit in 63 bits before anyone multiplies extents.
  std::vector<std::int64_t> extents(static_cast<std::size_t>(rank));
  constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t elements = 1;
  for (int d = rank - 1; d >= 0; --d) {
    auto const extent = big_endian_u32(bytes, 4 + 4 * static_cast<std::size_t>(d));
    extents[static_cast<std::size_t>(d)] = extent;
    if (extent != 0 && elements > limit / extent)
      smup::detail::fail(where + "its header's extents describe more than 2^63 - 1 bytes, which "
                                 "no file holds. It is corrupted or not an IDX file.");
    elements *= extent;
  }
  std::uint64_t const expected = header + elements;
  if (bytes.size() < expected)
    smup::detail::fail(where + "truncated: the header promises " + std::to_string(expected) +
                       " bytes, the file has " + std::to_string(bytes.size()) + ".");
  if (bytes.size() > expected)
    smup::detail::fail(where + "has " + std::to_string(bytes.size() - expected) +
                       " bytes more than its header promises; it is not a single IDX array.");
  return extents;
}

inline std::string idx_where(char const* who, std::string_view source) {
  return std::string(who) + ": '" + std::string(source) + "': ";
}

inline IdxImages idx_images(std::span<std::uint8_t const> bytes, std::string const& where) {
  auto const ext = idx_extents(bytes, where, 3, "images");
  IdxImages out{ext[0], ext[1], ext[2], {}};
  out.pixels.assign(bytes.begin() + 16, bytes.end());
  return out;
}

inline std::vector<std::uint8_t> idx_labels(std::span<std::uint8_t const> bytes,
                                            std::string const& where, int classes) {
  idx_extents(bytes, where, 1, "labels");
  std::vector<std::uint8_t> labels(bytes.begin() + 8, bytes.end());
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= classes)
      smup::detail::fail(where + "label " + std::to_string(labels[i]) + " at index " +
                         std::to_string(i) + " is outside the " + std::to_string(classes) +
                         " classes. The file is not a label file of this dataset.");
  return labels;
}

} // namespace detail

/// Reads a rank-3 IDX file of images.
inline IdxImages read_idx_images(std::filesystem::path const& path) {
  return detail::idx_images(detail::read_all(path),
                            detail::idx_where("smup::io::read_idx", path.string()));
}

/// Reads a rank-1 IDX file of labels; every label must lie in [0, classes).
inline std::vector<std::uint8_t> read_idx_labels(std::filesystem::path const& path, int classes) {
  return detail::idx_labels(detail::read_all(path),
                            detail::idx_where("smup::io::read_idx", path.string()), classes);
}

/// The images of a whole (uncompressed) IDX file in memory; `source_name` stands for the
/// file in messages.
///
///     auto images = smup::io::parse_idx_images(bytes, "train-images");
inline IdxImages parse_idx_images(std::span<std::uint8_t const> bytes,
                                  std::string_view source_name) {
  return detail::idx_images(bytes, detail::idx_where("smup::io::parse_idx", source_name));
}

/// The labels of a whole (uncompressed) IDX file in memory, each in [0, classes).
inline std::vector<std::uint8_t> parse_idx_labels(std::span<std::uint8_t const> bytes,
                                                  std::string_view source_name, int classes) {
  return detail::idx_labels(bytes, detail::idx_where("smup::io::parse_idx", source_name), classes);
}

} // namespace smup::io
