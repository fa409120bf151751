// The safetensors reader (smup::safetensors::File::parse, smup/io/safetensors.hpp) on
// arbitrary bytes: either smup::error, or a file whose every accessor works on every
// tensor it lists and which reads back the same once the Writer writes it again.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include <smup/core/error.hpp>
#include <smup/io/safetensors.hpp>

#include "fuzz_check.hpp"

namespace st = smup::safetensors;

namespace {

/// Reads tensor `name` with the C++ type of its dtype (F16 and BF16 have none).
void read_elements(st::File const& file, std::string const& name) {
  auto const& t = file.info(name);
  auto const count = static_cast<std::size_t>(t.elements());
  auto const check = [&](auto const& values) { SMUP_FUZZ_CHECK(values.size() == count); };
  switch (t.dtype) {
  case st::DType::BOOL: check(file.tensor<bool>(name, t.shape)); break;
  case st::DType::U8: check(file.tensor<std::uint8_t>(name)); break;
  case st::DType::I8: check(file.tensor<std::int8_t>(name)); break;
  case st::DType::U16: check(file.tensor<std::uint16_t>(name)); break;
  case st::DType::I16: check(file.tensor<std::int16_t>(name)); break;
  case st::DType::U32: check(file.tensor<std::uint32_t>(name)); break;
  case st::DType::I32: check(file.tensor<std::int32_t>(name)); break;
  case st::DType::F32: check(file.tensor<float>(name, t.shape)); break;
  case st::DType::U64: check(file.tensor<std::uint64_t>(name)); break;
  case st::DType::I64: check(file.tensor<std::int64_t>(name)); break;
  case st::DType::F64: check(file.tensor<double>(name)); break;
  case st::DType::F16:
  case st::DType::BF16: SMUP_FUZZ_CHECK(file.bytes(name).size() == 2 * count); break;
  }
}

/// The Writer's copy of `file`, when the Writer accepts every name (it refuses empty names
/// and the reserved prefix "__", which a reader need not).
void round_trip(st::File const& file) {
  st::Writer writer;
  for (auto const& name : file.names())
    if (name.empty() || name.starts_with("__")) return;
  for (auto const& [key, value] : file.metadata())
    if (key != "crc32") writer.set_metadata(key, value);
  for (auto const& name : file.names()) {
    auto const& t = file.info(name);
    writer.add_bytes(name, t.dtype, t.shape, file.bytes(name));
  }
  auto const bytes = writer.to_bytes();
  auto const again = st::File::parse(bytes, "round trip");
  SMUP_FUZZ_CHECK(again.names().size() == file.names().size());
  for (auto const& name : file.names()) {
    auto const& a = file.info(name);
    auto const& b = again.info(name);
    SMUP_FUZZ_CHECK(a.dtype == b.dtype && a.shape == b.shape);
    auto const x = file.bytes(name), y = again.bytes(name);
    SMUP_FUZZ_CHECK(std::equal(x.begin(), x.end(), y.begin(), y.end()));
  }
  for (auto const& [key, value] : file.metadata())
    if (key != "crc32") SMUP_FUZZ_CHECK(again.metadata().at(key) == value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::span<std::byte const> const bytes(reinterpret_cast<std::byte const*>(data), size);
  try {
    auto const file = st::File::parse(bytes, "fuzz");
    for (auto const& name : file.names()) {
      SMUP_FUZZ_CHECK(file.contains(name));
      read_elements(file, name);
    }
    (void)st::listing(file);
  } catch (smup::error const&) {
    return 0;
  }
  try {
    round_trip(st::File::parse(bytes, "fuzz"));
  } catch (smup::error const& e) {
    // A file the reader accepts must be one the Writer can write and the reader read again.
    std::fprintf(stderr, "round trip refused: %s\n", e.what());
    std::abort();
  }
  return 0;
}
