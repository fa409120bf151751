#pragma once
/// CRC-32 with zlib's polynomial (IEEE 802.3, reflected 0xEDB88320): the value of Python's
/// zlib.crc32 and of `crc32` in zlib, so a checksum written here can be checked anywhere.
///
///     std::uint32_t whole = smup::detail::crc32(bytes);
///     std::uint32_t same = smup::detail::crc32(second_half, smup::detail::crc32(first_half));
///
/// Slicing-by-8 (eight bytes per step through eight tables): a checkpoint of a few GB is
/// checked in about a second, without a zlib dependency in the file-format layer.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace smup::detail {

using Crc32Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Crc32Tables make_crc32_tables() {
  Crc32Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    t[0][i] = c;
  }
  // Table k advances a byte that sits k positions further from the end of the step.
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFu];
  return t;
}

inline constexpr Crc32Tables crc32_tables = make_crc32_tables();

/// The CRC-32 of `data`; pass the CRC of the bytes before `data` as `previous` to continue a
/// running checksum (0 starts one), exactly like zlib's crc32(previous, data, size).
[[nodiscard]] inline std::uint32_t crc32(std::span<std::byte const> data,
                                         std::uint32_t previous = 0) {
  auto const& t = crc32_tables;
  std::uint32_t c = ~previous;
  std::byte const* p = data.data();
  std::size_t n = data.size();
  auto byte_at = [](std::byte const* q, int i) {
    return static_cast<std::uint32_t>(std::to_integer<unsigned>(q[i]));
  };
  for (; n >= 8; n -= 8, p += 8) {
    // Assembled byte by byte: no alignment or endianness assumption about `data`.
    std::uint32_t const lo =
        c ^ (byte_at(p, 0) | byte_at(p, 1) << 8 | byte_at(p, 2) << 16 | byte_at(p, 3) << 24);
    std::uint32_t const hi =
        byte_at(p, 4) | byte_at(p, 5) << 8 | byte_at(p, 6) << 16 | byte_at(p, 7) << 24;
    c = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFFu] ^ t[2][(hi >> 8) & 0xFFu] ^ t[1][(hi >> 16) & 0xFFu] ^ t[0][hi >> 24];
  }
  for (; n > 0; --n, ++p) c = (c >> 8) ^ t[0][(c ^ byte_at(p, 0)) & 0xFFu];
  return ~c;
}

} // namespace smup::detail
