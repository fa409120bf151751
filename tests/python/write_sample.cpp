// Writes <dir>/sample.safetensors, a tensor of every dtype, and <dir>/expected.txt, smup's
// listing of it (or, with --list FILE OUT, smup's listing of any file FILE into OUT). CTest then
// has tools/read_safetensors.py (numpy, no safetensors package) read the file and print its own
// listing, which must match expected.txt line for line.
#include <smup/io/safetensors.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

namespace st = smup::safetensors;

/// Deterministic values in [-1, 1): the same file on every machine.
std::vector<double> noise(std::size_t n, std::uint64_t seed) {
  std::vector<double> out(n);
  for (auto& v : out) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<double>(seed >> 11) / 4503599627370496.0 - 1.0; // 2^52
  }
  return out;
}

template <class T> std::vector<T> scaled(std::size_t n, std::uint64_t seed, double scale) {
  std::vector<T> out;
  for (double v : noise(n, seed)) {
    if constexpr (std::is_unsigned_v<T>) v = (v + 1) / 2; // in range: no negative to convert
    out.push_back(static_cast<T>(std::floor(v * scale)));
  }
  return out;
}

st::Writer sample() {
  st::Writer w;
  w.set_metadata("written_by", "tests/python/write_sample.cpp");
  w.set_metadata("note", "unicode \xce\xbc and \"quotes\"");
  // 1000 floats: a sum whose last bits depend on the order of the additions.
  std::vector<float> weights;
  for (double v : noise(1000, 1)) weights.push_back(static_cast<float>(v * 0.02));
  w.add("hidden.0.weight", {40, 25}, weights);
  w.add("hidden.0.bias", {25}, noise(25, 2));
  w.add("r\xc3\xa9sum\xc3\xa9 step", {}, std::vector<std::int64_t>{123456789012345LL});
  // Integers past 2^53: their float64 rounding must agree on both sides.
  w.add("big.i64", {3},
        std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max(),
                                  std::numeric_limits<std::int64_t>::min(), (1LL << 53) + 1});
  w.add("big.u64", {2}, std::vector<std::uint64_t>{std::numeric_limits<std::uint64_t>::max(), 3});
  w.add("i32", {2, 2, 2}, scaled<std::int32_t>(8, 3, 2e9));
  w.add("u32", {5}, scaled<std::uint32_t>(5, 4, 1e9));
  w.add("i16", {3, 3}, scaled<std::int16_t>(9, 5, 30000));
  w.add("u16", {4}, scaled<std::uint16_t>(4, 6, 60000));
  w.add("i8", {6}, scaled<std::int8_t>(6, 7, 120));
  w.add("u8", {2, 3}, std::vector<std::uint8_t>{0, 1, 127, 128, 254, 255});
  w.add("mask", {5}, std::vector<bool>{true, false, true, true, false});
  w.add("empty", {0, 4}, std::vector<float>{});
  // F16: 1, -2, 65504, the smallest subnormal, -inf is left out so the sum stays finite.
  std::array<std::uint16_t, 4> const f16{0x3C00, 0xC000, 0x7BFF, 0x0001};
  w.add_bytes("half", st::DType::F16, {2, 2}, std::as_bytes(std::span(f16)));
  std::array<std::uint16_t, 3> const bf16{0x3F80, 0xC2F7, 0x0001}; // 1, -123.5, a subnormal
  w.add_bytes("brain", st::DType::BF16, {3}, std::as_bytes(std::span(bf16)));
  return w;
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string_view(argv[1]) == "--list") {
    // smup's listing of any file, e.g. a checkpoint an example wrote.
    try {
      std::ofstream(argv[3], std::ios::binary) << st::listing(st::File::read(argv[2]));
    } catch (std::exception const& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 1;
    }
    return 0;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output folder> | --list <file> <listing>\n", argv[0]);
    return 2;
  }
  try {
    std::filesystem::path const dir = argv[1];
    std::filesystem::create_directories(dir);
    auto const file = dir / "sample.safetensors";
    sample().write(file);
    // The listing of what reads back, so the round trip through disk is part of the test.
    std::ofstream(dir / "expected.txt", std::ios::binary) << st::listing(st::File::read(file));
    std::printf("wrote %s and expected.txt\n", file.string().c_str());
  } catch (std::exception const& e) { // smup::error, or the filesystem's
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
