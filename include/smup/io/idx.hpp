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
/// range — is an smup::error that names the file.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
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

inline std::uint32_t big_endian_u32(std::vector<std::uint8_t> const& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

/// Checks magic and size; returns the extents of an unsigned-byte IDX array of `rank`.
inline std::vector<std::int64_t> idx_extents(std::vector<std::uint8_t> const& bytes,
                                             std::filesystem::path const& path, int rank,
                                             char const* what) {
  auto const where = "smup::io::read_idx: '" + path.string() + "': ";
  std::size_t const header = 4 + 4 * static_cast<std::size_t>(rank);
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
    smup::detail::fail(where + "not an IDX file of unsigned bytes (wrong magic number).");
  if (bytes[3] != rank)
    smup::detail::fail(where + "holds a rank-" + std::to_string(bytes[3]) + " array, expected " +
                       what + " (rank " + std::to_string(rank) + ").");
  if (bytes.size() < header) smup::detail::fail(where + "truncated inside its header.");
  std::vector<std::int64_t> extents;
  std::size_t expected = header;
  for (int d = 0; d < rank; ++d) {
    extents.push_back(big_endian_u32(bytes, 4 + 4 * static_cast<std::size_t>(d)));
    expected = d == 0 ? static_cast<std::size_t>(extents.back())
                      : expected * static_cast<std::size_t>(extents.back());
  }
  expected += header;
  if (bytes.size() < expected)
    smup::detail::fail(where + "truncated: the header promises " + std::to_string(expected) +
                       " bytes, the file has " + std::to_string(bytes.size()) + ".");
  if (bytes.size() > expected)
    smup::detail::fail(where + "has " + std::to_string(bytes.size() - expected) +
                       " bytes more than its header promises; it is not a single IDX array.");
  return extents;
}

} // namespace detail

/// Reads a rank-3 IDX file of images.
inline IdxImages read_idx_images(std::filesystem::path const& path) {
  auto bytes = detail::read_all(path);
  auto const ext = detail::idx_extents(bytes, path, 3, "images");
  IdxImages out{ext[0], ext[1], ext[2], {}};
  out.pixels.assign(bytes.begin() + 16, bytes.end());
  return out;
}

/// Reads a rank-1 IDX file of labels; every label must lie in [0, classes).
inline std::vector<std::uint8_t> read_idx_labels(std::filesystem::path const& path, int classes) {
  auto bytes = detail::read_all(path);
  detail::idx_extents(bytes, path, 1, "labels");
  std::vector<std::uint8_t> labels(bytes.begin() + 8, bytes.end());
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= classes)
      smup::detail::fail("smup::io::read_idx: '" + path.string() + "': label " +
                         std::to_string(labels[i]) + " at index " + std::to_string(i) +
                         " is outside the " + std::to_string(classes) +
                         " classes. The file is not a label file of this dataset.");
  return labels;
}

} // namespace smup::io
