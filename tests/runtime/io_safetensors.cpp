// safetensors: every dtype round-trips, the bytes follow the spec, every kind of bad file is
// an error that names it, and a failed write never harms the file it was replacing.
#include "catch.hpp"
#include "error_text.hpp"
#include "temp_dir.hpp"

#include <smup/core/error.hpp>
#include <smup/io/crc32.hpp>
#include <smup/io/safetensors.hpp>

#include <array>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <sys/resource.h>
#include <zlib.h>

namespace {

namespace fs = std::filesystem;
namespace st = smup::safetensors;

using smup_test::slurp;
using smup_test::TempDir;

auto has(std::string const& text) {
#if SMUP_CATCH2_MAJOR >= 3
  return Catch::Matchers::ContainsSubstring(text);
#else
  return Catch::Contains(text);
#endif
}

using smup_test::error_text;

std::vector<std::byte> as_bytes(std::string const& s) {
  auto const* p = reinterpret_cast<std::byte const*>(s.data());
  return {p, p + s.size()};
}

std::string as_string(std::vector<std::byte> const& b) {
  return {reinterpret_cast<char const*>(b.data()), b.size()};
}

void put(fs::path const& p, std::string const& bytes) {
  std::ofstream(p, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le64(std::uint64_t n) {
  std::string out(8, '\0');
  for (auto& c : out) {
    c = static_cast<char>(n & 0xFFu);
    n >>= 8;
  }
  return out;
}

/// A file by hand: the length prefix (the header's own, unless given), the header, the data.
std::string file_with(std::string const& json, std::string const& data = "",
                      std::optional<std::uint64_t> length = std::nullopt) {
  return le64(length.value_or(json.size())) + json + data;
}

st::File parse(std::string const& bytes) { return st::File::parse(as_bytes(bytes), "mem.st"); }

std::uint32_t zlib_crc(std::string const& s) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<Bytef const*>(s.data()), static_cast<uInt>(s.size())));
}

std::string hex8(std::uint32_t v) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", v);
  return text;
}

std::size_t files_in(fs::path const& dir) {
  std::size_t n = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++n;
  return n;
}

/// A small file of three dtypes, for the corruption tests.
std::string sample_file() {
  st::Writer w;
  w.set_metadata("step", "7");
  w.add("weight", {2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  w.add("steps", {2}, std::vector<std::int64_t>{-1, 1LL << 40});
  w.add("mask", {3}, std::vector<bool>{true, false, true});
  return as_string(w.to_bytes());
}

template <class T> std::vector<T> ramp(std::size_t n) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, bool>)
      v[i] = i % 3 == 0;
    else if constexpr (std::is_floating_point_v<T>)
      v[i] = static_cast<T>(i) * T(0.5) - T(1.25);
    else if constexpr (std::is_signed_v<T>)
      v[i] = static_cast<T>(static_cast<int>(i) * 37 - 60);
    else
      v[i] = static_cast<T>(std::numeric_limits<T>::max() - i * 3);
  }
  return v;
}

template <class T> void add_ramp(st::Writer& w, std::string const& name) {
  w.add(name, {2, 3}, ramp<T>(6));
}

template <class T> void check_ramp(st::File const& f, std::string const& name) {
  INFO("tensor " << name);
  CHECK(f.info(name).dtype == st::dtype_of<T>());
  CHECK(f.info(name).shape == std::vector<std::int64_t>{2, 3});
  CHECK(f.tensor<T>(name, {2, 3}) == ramp<T>(6));
}

} // namespace

static_assert(st::dtype_of<float>() == st::DType::F32);
static_assert(st::dtype_of<double>() == st::DType::F64);
static_assert(st::dtype_of<bool>() == st::DType::BOOL);
static_assert(st::dtype_of<std::int8_t>() == st::DType::I8);
static_assert(st::dtype_of<std::uint16_t>() == st::DType::U16);
static_assert(st::dtype_of<std::int32_t>() == st::DType::I32);
static_assert(st::dtype_of<long long>() == st::DType::I64);
static_assert(st::dtype_of<std::uint64_t>() == st::DType::U64);
static_assert(!st::TensorElement<char> && !st::TensorElement<long double>);
static_assert(st::size_of(st::DType::BF16) == 2 && st::size_of(st::DType::F64) == 8);

TEST_CASE("Every dtype's name and size round-trip through the format's names",
          "[io][safetensors]") {
  for (auto d : st::all_dtypes) {
    CHECK(st::dtype_from_string(st::to_string(d)) == d);
    CHECK(st::size_of(d) > 0);
  }
  CHECK_FALSE(st::dtype_from_string("F8_E4M3").has_value());
  CHECK_FALSE(st::dtype_from_string("f32").has_value());
}

TEST_CASE("CRC-32 agrees with zlib, whole and in pieces", "[io][safetensors]") {
  CHECK(smup::detail::crc32(as_bytes("123456789")) == 0xCBF43926u);
  CHECK(smup::detail::crc32({}) == 0u);
  std::mt19937 gen(5);
  std::string s;
  for (std::size_t n = 0; n < 300; ++n) {
    auto const b = as_bytes(s);
    CHECK(smup::detail::crc32(b) == zlib_crc(s));
    auto const half = n / 3;
    auto const first = std::span<std::byte const>(b).first(half);
    auto const rest = std::span<std::byte const>(b).subspan(half);
    CHECK(smup::detail::crc32(rest, smup::detail::crc32(first)) == zlib_crc(s));
    s += static_cast<char>(gen() & 0xFFu);
  }
}

TEST_CASE("Every dtype survives a write and a read unchanged", "[io][safetensors]") {
  TempDir dir("safetensors-roundtrip");
  st::Writer w;
  add_ramp<bool>(w, "bool");
  add_ramp<std::uint8_t>(w, "u8");
  add_ramp<std::int8_t>(w, "i8");
  add_ramp<std::uint16_t>(w, "u16");
  add_ramp<std::int16_t>(w, "i16");
  add_ramp<std::uint32_t>(w, "u32");
  add_ramp<std::int32_t>(w, "i32");
  add_ramp<std::uint64_t>(w, "u64");
  add_ramp<std::int64_t>(w, "i64");
  add_ramp<float>(w, "f32");
  add_ramp<double>(w, "f64");
  // F16 1.0, -2.0, 65504 (largest); BF16 1.0, -2.0, 3.0: raw bytes in and out.
  std::array<std::uint16_t, 3> const f16{0x3C00, 0xC000, 0x7BFF}, bf16{0x3F80, 0xC000, 0x4040};
  w.add_bytes("f16", st::DType::F16, {3}, std::as_bytes(std::span(f16)));
  w.add_bytes("bf16", st::DType::BF16, {3}, std::as_bytes(std::span(bf16)));
  w.add("scalar", {}, std::vector<double>{2.5});
  w.add("empty", {0, 3}, std::vector<float>{});
  std::array<float, 2> const from_array{7, 8};
  w.add("span", {2}, std::span<float const>(from_array));
  CHECK(w.size() == 16);

  auto const path = dir.path / "all.safetensors";
  w.write(path);
  CHECK(slurp(path) == as_string(w.to_bytes())); // write() stores exactly to_bytes()
  auto const f = st::File::read(path);
  CHECK(f.source() == path.string());
  check_ramp<bool>(f, "bool");
  check_ramp<std::uint8_t>(f, "u8");
  check_ramp<std::int8_t>(f, "i8");
  check_ramp<std::uint16_t>(f, "u16");
  check_ramp<std::int16_t>(f, "i16");
  check_ramp<std::uint32_t>(f, "u32");
  check_ramp<std::int32_t>(f, "i32");
  check_ramp<std::uint64_t>(f, "u64");
  check_ramp<std::int64_t>(f, "i64");
  check_ramp<float>(f, "f32");
  check_ramp<double>(f, "f64");
  auto const raw = f.bytes("f16");
  REQUIRE(raw.size() == 6);
  CHECK(std::memcmp(raw.data(), f16.data(), 6) == 0);
  CHECK(f.info("bf16").dtype == st::DType::BF16);
  CHECK(std::memcmp(f.bytes("bf16").data(), bf16.data(), 6) == 0);
  CHECK(f.tensor<double>("scalar", {}) == std::vector<double>{2.5});
  CHECK(f.info("scalar").elements() == 1);
  CHECK(f.tensor<float>("empty", {0, 3}).empty());
  CHECK(f.tensor<float>("span") == std::vector<float>{7, 8});
  CHECK(f.names().size() == 16);
  CHECK(f.contains("u8"));
  CHECK_FALSE(f.contains("nothing"));
  // Offset order puts the widest elements first, each group in the order added.
  CHECK(f.names().front() == "u64");
  CHECK(f.names().back() == "i8");
  for (auto const& name : f.names())
    CHECK(f.info(name).begin % st::size_of(f.info(name).dtype) == 0);
  CHECK(st::listing(f).find("f16 F16 [3] 65503\n") != std::string::npos);
  CHECK(st::listing(f).find("bf16 BF16 [3] 2\n") != std::string::npos);
}

TEST_CASE("Metadata round-trips, and write() adds crc32 and format", "[io][safetensors]") {
  st::Writer w;
  w.set_metadata("note", "quote \" backslash \\ tab \t line\n ctrl \x01 SμP ✓ 𝄞");
  w.set_metadata("step", "1");
  w.set_metadata("step", "2"); // a setter: the last value wins
  w.set_metadata("", "");
  w.add("x", {1}, std::vector<float>{1});
  auto const f = parse(as_string(w.to_bytes()));
  std::map<std::string, std::string> const expected{
      {"", ""},
      {"crc32", hex8(zlib_crc(std::string("\0\0\x80\x3f", 4)))},
      {"format", "safetensors"},
      {"note", "quote \" backslash \\ tab \t line\n ctrl \x01 SμP ✓ 𝄞"},
      {"step", "2"}};
  CHECK(f.metadata() == expected);

  st::Writer pt;
  pt.set_metadata("format", "pt"); // what Hugging Face transformers looks for
  CHECK(parse(as_string(pt.to_bytes())).metadata().at("format") == "pt");
  CHECK(parse(as_string(pt.to_bytes())).names().empty());
}

TEST_CASE("The bytes follow the safetensors layout exactly", "[io][safetensors]") {
  st::Writer w;
  w.add("b", {3}, std::vector<std::uint8_t>{1, 2, 3});
  w.add("a", {2}, std::vector<float>{1.0f, -2.0f});
  auto const bytes = as_string(w.to_bytes());
  std::string const data("\x00\x00\x80\x3f\x00\x00\x00\xc0\x01\x02\x03", 11); // F32 first
  std::string const json = "{\"__metadata__\":{\"crc32\":\"" + hex8(zlib_crc(data)) +
                           "\",\"format\":\"safetensors\"},"
                           "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                           "\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]}}";
  std::string const padded = json + std::string((8 - json.size() % 8) % 8, ' ');
  REQUIRE(padded.size() % 8 == 0);
  CHECK(bytes.substr(0, 8) == le64(padded.size()));
  CHECK(bytes.substr(8, padded.size()) == padded);
  CHECK(bytes.substr(8 + padded.size()) == data);
  CHECK(bytes.size() == 8 + padded.size() + data.size());
}

TEST_CASE("A header from another writer is read: spaces, escapes, null metadata, no padding",
          "[io][safetensors]") {
  std::string const json = "{ \"__metadata__\" : null ,\n \"caf\\u00e9 \\ud834\\udd1e\\/\": "
                           "{\"shape\": [ 1 ], \"data_offsets\": [0, 2], \"dtype\": \"I16\"} }";
  auto const f = parse(file_with(json, std::string("\x05\x00", 2)));
  CHECK(f.metadata().empty());
  REQUIRE(f.names() == std::vector<std::string>{"café 𝄞/"});
  CHECK(f.tensor<std::int16_t>("café 𝄞/", {1}) == std::vector<std::int16_t>{5});
  CHECK(parse(file_with("{}")).names().empty());
  CHECK(parse(file_with("{\"__metadata__\":{}}  ")).metadata().empty());
}

TEST_CASE("A truncated file is refused at every length, naming the problem", "[io][safetensors]") {
  auto const good = sample_file();
  std::uint64_t header = 0;
  for (int k = 7; k >= 0; --k)
    header = (header << 8) | static_cast<unsigned char>(good[static_cast<std::size_t>(k)]);
  REQUIRE_NOTHROW(parse(good));
  for (std::size_t cut : {std::size_t{0}, std::size_t{4}, std::size_t{7}})
    CHECK_THROWS_WITH(parse(good.substr(0, cut)),
                      has("'mem.st': the file is " + std::to_string(cut) +
                          " bytes long, too "
                          "short to hold the 8-byte header length"));
  for (std::size_t cut = 8; cut < 8 + header; cut += 13)
    CHECK_THROWS_WITH(parse(good.substr(0, cut)),
                      has("the header length is " + std::to_string(header) + " bytes, but only"));
  for (std::size_t cut = 8 + header; cut < good.size(); ++cut)
    CHECK_THROWS_WITH(parse(good.substr(0, cut)), has("the file is truncated"));
  CHECK_THROWS_WITH(parse(good + "x"), has("the last 1 bytes of the data belong to no tensor"));
}

TEST_CASE("A corrupted byte is refused: in the data by the checksum, in the header by parsing",
          "[io][safetensors]") {
  auto const good = sample_file();
  auto flipped = good;
  flipped[good.size() - 5] ^= 0x10;
  CHECK_THROWS_WITH(parse(flipped), has("'mem.st': data checksum mismatch: the file is corrupted"));
  flipped = good;
  flipped[8] = '[';
  CHECK_THROWS_WITH(parse(flipped), has("invalid JSON header at byte 0: the header must start"));
  flipped = good;
  auto const at = flipped.find("\"dtype\"", flipped.find("\"weight\""));
  flipped[at + 1] = 'D';
  CHECK_THROWS_WITH(parse(flipped), has("tensor 'weight' has the unknown field 'Dtype'"));
  flipped = good;
  flipped[flipped.find("\"F32\"") + 2] = '6';
  CHECK_THROWS_WITH(parse(flipped), has("tensor 'weight' has the unknown dtype 'F62'"));
  flipped = good;
  flipped[flipped.find(":[2,3]") + 2] = '3';
  CHECK_THROWS_WITH(parse(flipped), has("tensor 'weight' is F32 of shape [3, 3], which takes 36 "
                                        "bytes, but its data_offsets [16, 40] hold 24"));
  // Without a recorded checksum a data flip goes unnoticed: the crc32 is what catches it.
  auto const no_crc =
      file_with("{\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", "ab");
  CHECK(parse(no_crc).tensor<std::uint8_t>("x", {2}) == std::vector<std::uint8_t>{'a', 'b'});
}

TEST_CASE("Bad layouts, dtypes and shapes are refused with what is wrong", "[io][safetensors]") {
  auto const tensor = [](std::string const& name, std::string const& dtype,
                         std::string const& shape, std::string const& offsets) {
    return std::string("\"") + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
           ",\"data_offsets\":" + offsets + "}";
  };
  auto const one = [&](std::string const& dtype, std::string const& shape,
                       std::string const& offsets, std::string const& data) {
    return file_with(std::string("{") + tensor("t", dtype, shape, offsets) + "}", data);
  };
  CHECK_THROWS_WITH(parse(file_with(std::string("{") + tensor("a", "U8", "[4]", "[0,4]") + "," +
                                        tensor("b", "U8", "[4]", "[2,6]") + "}",
                                    "123456")),
                    has("tensors 'a' and 'b' overlap in the data"));
  CHECK_THROWS_WITH(parse(file_with(std::string("{") + tensor("a", "U8", "[2]", "[0,2]") + "," +
                                        tensor("b", "U8", "[2]", "[3,5]") + "}",
                                    "12345")),
                    has("bytes [2, 3) of the data belong to no tensor (a hole before tensor 'b')"));
  CHECK_THROWS_WITH(parse(one("U8", "[2]", "[1,3]", "123")),
                    has("bytes [0, 1) of the data belong to no tensor"));
  CHECK_THROWS_WITH(parse(one("F128", "[1]", "[0,16]", std::string(16, 'x'))),
                    has("tensor 't' has the unknown dtype 'F128'"));
  CHECK_THROWS_WITH(parse(one("F32", "[2,2]", "[0,12]", std::string(12, 'x'))),
                    has("tensor 't' is F32 of shape [2, 2], which takes 16 bytes, but its "
                        "data_offsets [0, 12] hold 12"));
  CHECK_THROWS_WITH(parse(one("U8", "[2]", "[2,0]", "12")), has("which run backwards"));
  CHECK_THROWS_WITH(parse(one("F64", "[4611686018427387904,4]", "[0,8]", "12345678")),
                    has("has shape [4611686018427387904, 4], too large to exist"));
  CHECK_THROWS_WITH(parse(one("F64", "[1152921504606846976]", "[0,8]", "12345678")),
                    has("too large to exist"));
  CHECK_THROWS_WITH(parse(one("U8", "[99999999999999999999]", "[0,8]", "12345678")),
                    has("tensor 't': a dimension is 99999999999999999999, beyond 2^63 - 1"));
  CHECK_THROWS_WITH(parse(one("U8", "[-2]", "[0,2]", "12")),
                    has("tensor 't': a dimension must be a non-negative integer, not -2"));
  CHECK_THROWS_WITH(parse(one("U8", "[2]", "[0,2.0]", "12")),
                    has("the end offset must be a non-negative integer, not 2.0"));
  CHECK_THROWS_WITH(parse(one("U8", "[2]", "[0,\"2\"]", "12")),
                    has("the end offset must be a non-negative integer, not a string"));
  CHECK_THROWS_WITH(parse(one("U8", "[2]", "[0,2,4]", "12")),
                    has("data_offsets must hold exactly two integers"));
  CHECK_THROWS_WITH(parse(one("U8", "[02]", "[0,2]", "12")), has("a number has a leading zero"));
  CHECK_THROWS_WITH(parse(one("U8", "[true]", "[0,1]", "1")),
                    has("a dimension must be a non-negative integer, not a boolean"));
  CHECK_THROWS_WITH(parse(one("BOOL", "[2]", "[0,2]", std::string("\x01\x02", 2))),
                    has("tensor 't' is BOOL but element 1 is the byte 2"));
  CHECK_THROWS_WITH(parse(file_with("{\"t\":{\"dtype\":\"U8\",\"shape\":[1]}}", "1")),
                    has("tensor 't' has no data_offsets"));
  CHECK_THROWS_WITH(parse(file_with(std::string("{") + tensor("t", "U8", "[1]", "[0,1]") + "," +
                                        tensor("t", "U8", "[1]", "[1,2]") + "}",
                                    "12")),
                    has("tensor 't' appears twice"));
  CHECK_THROWS_WITH(parse(file_with("{\"t\":[1]}")),
                    has("tensor 't' must be an object with dtype, shape and data_offsets, not an "
                        "array"));
}

TEST_CASE("Bad JSON and bad metadata are refused with the byte where they go wrong",
          "[io][safetensors]") {
  CHECK_THROWS_WITH(parse(file_with("")), has("invalid JSON header at byte 0"));
  CHECK_THROWS_WITH(parse(file_with(" {}")), has("the header must start with '{'"));
  CHECK_THROWS_WITH(parse(file_with("{}x")), has("at byte 2: unexpected text after the header's "
                                                 "closing '}'"));
  CHECK_THROWS_WITH(parse(file_with("{}\n")), has("unexpected text after"));
  CHECK_THROWS_WITH(parse(file_with("{\"a\" 1}")), has("at byte 5: expected ':' after a key, "
                                                       "found a number"));
  CHECK_THROWS_WITH(parse(file_with("{\"a")), has("the header ends inside a string"));
  CHECK_THROWS_WITH(parse(file_with("{\"a\\q\":1}")), has("an unknown escape sequence"));
  CHECK_THROWS_WITH(parse(file_with("{\"\\ud834x\":1}")), has("unpaired high surrogate"));
  CHECK_THROWS_WITH(parse(file_with("{\"\\udd1e\":1}")), has("unpaired low surrogate"));
  CHECK_THROWS_WITH(parse(file_with("{\"\\u12g4\":1}")), has("four hex digits"));
  CHECK_THROWS_WITH(parse(file_with("{\"a\tb\":1}")), has("a control character (byte 9)"));
  CHECK_THROWS_WITH(parse(file_with("{\"\xc3\x28\":1}")), has("not valid UTF-8"));
  CHECK_THROWS_WITH(parse(file_with("{\"\xc0\xaf\":1}")), has("not valid UTF-8")); // overlong
  CHECK_THROWS_WITH(parse(file_with("{\"\xed\xa0\x80\":1}")), has("not valid UTF-8"));
  CHECK_THROWS_WITH(parse(file_with("{\"__metadata__\":{\"a\":1}}")),
                    has("metadata 'a' must be a string, not a number"));
  CHECK_THROWS_WITH(parse(file_with("{\"__metadata__\":[]}")),
                    has("\"__metadata__\" must be an object of strings, not an array"));
  CHECK_THROWS_WITH(parse(file_with("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}")),
                    has("metadata 'a' appears twice"));
  CHECK_THROWS_WITH(parse(file_with("{\"__metadata__\":{},\"__metadata__\":{}}")),
                    has("\"__metadata__\" appears twice"));
  CHECK_THROWS_WITH(parse(file_with("{\"__metadata__\":{\"crc32\":\"12345\"}}")),
                    has("metadata crc32 is '12345', not 8 hex digits"));
  CHECK_THROWS_WITH(parse(file_with("{\"__metadata__\":{\"crc32\":\"0000000g\"}}")),
                    has("not 8 hex digits"));
  CHECK(parse(file_with("{\"__metadata__\":{\"crc32\":\"00000000\"}}")).names().empty());
}

TEST_CASE("A header length beyond the file or beyond reason is refused", "[io][safetensors]") {
  CHECK_THROWS_WITH(parse(file_with("{}", "", std::numeric_limits<std::uint64_t>::max())),
                    has("the header length is 18446744073709551615 bytes, more than the 100 MB"));
  CHECK_THROWS_WITH(parse(file_with("{}", "", 100'000'001)), has("more than the 100 MB"));
  CHECK_THROWS_WITH(parse(file_with("{}", "", 3)),
                    has("the header length is 3 bytes, but only 2 bytes follow it: the file is "
                        "truncated or not a safetensors file"));
  CHECK_THROWS_WITH(parse(file_with("{}", "", 1)),
                    has("the header must start with '{'") || has("expected"));
}

TEST_CASE("Files on disk: errors name the path; missing files and folders are refused",
          "[io][safetensors]") {
  TempDir dir("safetensors-disk");
  auto const path = dir.path / "model.safetensors";
  CHECK_THROWS_WITH(st::File::read(path),
                    has("smup::safetensors::File::read: '" + path.string() +
                        "': cannot open it (No such file or directory). Check the path."));
  CHECK_THROWS_WITH(st::File::read(dir.path), has("not a regular file"));
  auto bytes = sample_file();
  put(path, bytes);
  CHECK(st::listing(st::File::read(path)) ==
        "steps I64 [2] 1099511627775\nweight F32 [2,3] 21\nmask BOOL [3] 2\n");
  bytes[bytes.size() - 1] ^= 1;
  put(path, bytes);
  CHECK_THROWS_WITH(st::File::read(path),
                    has("'" + path.string() + "': data checksum mismatch: the file is corrupted"));
  put(path, bytes.substr(0, 5));
  CHECK_THROWS_WITH(st::File::read(path), has("'" + path.string() + "': the file is 5 bytes long"));
  put(path, bytes.substr(0, bytes.size() - 1));
  CHECK_THROWS_WITH(st::File::read(path), has("the file is truncated"));
}

TEST_CASE("A tensor of another shape or dtype than the model's is refused by name",
          "[io][safetensors]") {
  st::Writer w;
  w.add("x", {3, 4}, std::vector<float>(12, 1.0f));
  auto const f = parse(as_string(w.to_bytes()));
  CHECK_THROWS_WITH(f.tensor<float>("x", {4, 4}),
                    has("tensor 'x' has shape [3, 4] in 'mem.st' but the model expects [4, 4]"));
  CHECK_THROWS_WITH(f.tensor<double>("x", {3, 4}),
                    has("tensor 'x' has dtype F32 in 'mem.st' but the model expects F64"));
  CHECK_THROWS_WITH(f.tensor<float>("y", {3, 4}),
                    has("no tensor named 'y' in 'mem.st' (it holds 1 tensor(s): 'x')"));
  CHECK_THROWS_WITH(f.info("y"), has("no tensor named 'y'"));
  CHECK_THROWS_WITH(f.bytes("y"), has("no tensor named 'y'"));
}

TEST_CASE("The writer refuses bad names, shapes and sizes before it changes anything",
          "[io][safetensors]") {
  st::Writer w;
  w.add("x", {2}, std::vector<float>{1, 2});
  std::vector<float> const two{1, 2};
  CHECK_THROWS_WITH(w.add("x", {2}, two), has("tensor 'x': a tensor of this name was already"));
  CHECK_THROWS_WITH(w.add("__x", {2}, two), has("names starting with '__' are reserved"));
  CHECK_THROWS_WITH(w.add("__metadata__", {2}, two), has("reserved"));
  CHECK_THROWS_WITH(w.add("", {2}, two), has("the name is empty"));
  CHECK_THROWS_WITH(w.add("\xff", {2}, two), has("not valid UTF-8"));
  CHECK_THROWS_WITH(w.add("y", {2, -1}, two),
                    has("tensor 'y': dimension 1 of shape [2, -1] is negative"));
  CHECK_THROWS_WITH(w.add("y", {3}, two),
                    has("tensor 'y': shape [3] holds 3 elements, but the data holds 2"));
  CHECK_THROWS_WITH(w.add("y", {1LL << 62, 4}, two), has("takes more than 2^63 bytes"));
  CHECK_THROWS_WITH(w.add_bytes("y", st::DType::F16, {3}, std::as_bytes(std::span(two))),
                    has("tensor 'y' is F16 of shape [3], which takes 6 bytes, but 8 were given"));
  std::array<std::uint8_t, 1> const two_byte{2};
  CHECK_THROWS_WITH(w.add_bytes("y", st::DType::BOOL, {1}, std::as_bytes(std::span(two_byte))),
                    has("BOOL but holds the byte 2"));
  CHECK_THROWS_WITH(w.set_metadata("crc32", "0"), has("the key 'crc32' is reserved"));
  CHECK_THROWS_WITH(w.set_metadata("k", "\xc3"), has("not valid UTF-8"));
  CHECK(w.size() == 1);
  CHECK(parse(as_string(w.to_bytes())).names() == std::vector<std::string>{"x"});
}

TEST_CASE("write() replaces a file whole and leaves no temporary beside it", "[io][safetensors]") {
  TempDir dir("safetensors-replace");
  auto const path = dir.path / "m.safetensors";
  st::Writer a, b;
  a.add("x", {1}, std::vector<float>{1});
  b.add("x", {2}, std::vector<float>{2, 3});
  a.write(path);
  b.write(path);
  CHECK(st::File::read(path).tensor<float>("x", {2}) == std::vector<float>{2, 3});
  CHECK(files_in(dir.path) == 1);
}

TEST_CASE("A write that cannot happen throws, names the file and leaves nothing behind",
          "[io][safetensors]") {
  TempDir dir("safetensors-failed-write");
  st::Writer w;
  w.add("x", {1}, std::vector<float>{1});
  auto const missing = dir.path / "no-such-folder" / "m.safetensors";
  CHECK_THROWS_WITH(w.write(missing), has("smup::safetensors::Writer::write: cannot write '" +
                                          missing.string() + "'") &&
                                          has("No such file or directory"));
  put(dir.path / "plain-file", "x");
  auto const under_file = dir.path / "plain-file" / "m.safetensors";
  CHECK_THROWS_WITH(w.write(under_file),
                    has("'" + under_file.string() + "'") && has("Not a directory"));
  fs::create_directory(dir.path / "a-folder");
  CHECK_THROWS_WITH(w.write(dir.path / "a-folder"), has("renaming the temporary over it failed"));
  CHECK_THROWS_WITH(w.write(dir.path / "trailing/"), has("names no file"));
  CHECK(files_in(dir.path) == 2); // plain-file and a-folder: no temporaries
  CHECK(files_in(dir.path / "a-folder") == 0);
}

TEST_CASE("A write that fails half-way leaves the old file intact", "[io][safetensors]") {
  TempDir dir("safetensors-half-write");
  auto const path = dir.path / "m.safetensors";
  st::Writer small, big;
  small.add("x", {2}, std::vector<float>{1, 2});
  big.add("x", {1 << 18}, std::vector<float>(1 << 18, 3.0f));
  small.write(path);
  auto const before = slurp(path);
  // A file size limit makes write(2) fail with EFBIG part-way through, even for root.
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto const old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = old;
  limited.rlim_cur = 64 * 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  auto const message = error_text([&] { big.write(path); });
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  CHECK_THAT(message,
             has("cannot write '" + path.string() + "': writing failed (File too large)") &&
                 has("The previous file, if any, is unchanged"));
  CHECK(slurp(path) == before);
  CHECK(files_in(dir.path) == 1);
}

TEST_CASE("Parsing hostile bytes throws smup::error or succeeds, never anything worse",
          "[io][safetensors]") {
  auto const good = sample_file();
  std::mt19937 gen(11);
  std::size_t accepted = 0;
  auto const attempt = [&](std::string const& bytes) {
    try {
      (void)parse(bytes);
      ++accepted;
    } catch (smup::error const&) {
    }
  };
  for (std::size_t at = 0; at < good.size(); ++at)
    for (int v : {0x00, 0x20, 0x22, 0x30, 0x39, 0x5B, 0x7B, 0x7D, 0xFF}) {
      auto bytes = good;
      bytes[at] = static_cast<char>(v);
      attempt(bytes);
    }
  for (int round = 0; round < 3000; ++round) {
    auto bytes = good;
    for (int k = 0; k < 4; ++k) bytes[gen() % bytes.size()] = static_cast<char>(gen() & 0xFFu);
    bytes.resize(gen() % (bytes.size() + 16), '\x01');
    attempt(bytes);
  }
  CHECK(accepted > 0); // some flips, such as in the padding, leave a valid file
}

TEST_CASE("A tensor with a zero dimension has no elements, however large the others",
          "[io][safetensors]") {
  // No bytes to check the other dimensions against: their product would overflow 64 bits.
  auto const f = parse(
      file_with(R"({"a":{"dtype":"U8","shape":[4611686018427387904,4,0],"data_offsets":[0,0]}})"));
  CHECK(f.info("a").elements() == 0);
  CHECK(f.tensor<std::uint8_t>("a").empty());
}
