#pragma once
/// The safetensors file format (github.com/huggingface/safetensors): a Writer that replaces
/// files atomically and a File reader that checks every byte before it hands any out.
///
///     namespace st = smup::safetensors;
///     st::Writer out;
///     out.set_metadata("step", "1200");
///     out.add("hidden.0.weight", {4, 3}, weights); // a std::vector<float>, span, array...
///     out.write("run/model.safetensors");          // temporary file + fsync + rename
///
///     auto const in = st::File::read("run/model.safetensors"); // throws unless all is right
///     std::vector<float> w = in.tensor<float>("hidden.0.weight", {4, 3});
///     std::string step = in.metadata().at("step");
///
/// Layout: an 8-byte little-endian length N, N bytes of UTF-8 JSON (padded with spaces so the
/// data starts 8-byte aligned), then the data. The JSON maps "__metadata__" to string pairs
/// and each tensor's name to {"dtype": "F32", "shape": [4, 3], "data_offsets": [begin, end]},
/// offsets into the data; the tensors tile the data with no hole and no overlap, each stored
/// raw, little-endian and row-major. write() records metadata "crc32" (8 lowercase hex digits
/// of zlib's CRC-32 of the data) and "format" = "safetensors"; File::read verifies the crc32
/// whenever a file has one. tools/read_safetensors.py reads the same files with numpy.
///
/// Every way a file can be wrong (truncated, corrupted, not safetensors, a tensor of another
/// shape or dtype than the model expects) is an smup::error that names the file and the
/// problem. File::parse does the same on bytes in memory, for tests and fuzzing.

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <ranges>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <smup/core/error.hpp>
#include <smup/io/atomic_file.hpp>
#include <smup/io/crc32.hpp>

namespace smup::safetensors {

// The data is copied to and from memory as is; a big-endian host would need byte swaps.
static_assert(std::endian::native == std::endian::little,
              "smup::safetensors: this host is big-endian, but safetensors stores little-endian "
              "data and smup copies it unconverted. Use a little-endian host (x86-64, ARM64).");
static_assert(sizeof(bool) == 1, "smup::safetensors: BOOL elements need a one-byte bool.");

/// The element types of the format, named as in the file. F16 and BF16 have no C++ type
/// here: write them with Writer::add_bytes and read them with File::bytes.
enum class DType { BOOL, U8, I8, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64 };

inline constexpr std::array<DType, 13> all_dtypes{
    DType::BOOL, DType::U8,  DType::I8,  DType::U16, DType::I16, DType::F16, DType::BF16,
    DType::U32,  DType::I32, DType::F32, DType::U64, DType::I64, DType::F64};

[[nodiscard]] constexpr std::string_view to_string(DType d) {
  switch (d) {
  case DType::BOOL: return "BOOL";
  case DType::U8: return "U8";
  case DType::I8: return "I8";
  case DType::U16: return "U16";
  case DType::I16: return "I16";
  case DType::F16: return "F16";
  case DType::BF16: return "BF16";
  case DType::U32: return "U32";
  case DType::I32: return "I32";
  case DType::F32: return "F32";
  case DType::U64: return "U64";
  case DType::I64: return "I64";
  case DType::F64: return "F64";
  }
  return "?";
}

/// Bytes per element.
[[nodiscard]] constexpr std::size_t size_of(DType d) {
  switch (d) {
  case DType::BOOL:
  case DType::U8:
  case DType::I8: return 1;
  case DType::U16:
  case DType::I16:
  case DType::F16:
  case DType::BF16: return 2;
  case DType::U32:
  case DType::I32:
  case DType::F32: return 4;
  case DType::U64:
  case DType::I64:
  case DType::F64: return 8;
  }
  return 0;
}

/// The dtype named `text` in a file ("F32", ...), or nothing for a name this reader lacks.
[[nodiscard]] constexpr std::optional<DType> dtype_from_string(std::string_view text) {
  for (DType d : all_dtypes)
    if (to_string(d) == text) return d;
  return std::nullopt;
}

namespace detail {
template <class T> inline constexpr bool is_character_v =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;
// IEEE formats of the sizes the file says; anything else would be read back as garbage.
template <class T> inline constexpr bool is_float_element_v =
    (std::is_same_v<T, float> && sizeof(T) == 4 && std::numeric_limits<T>::is_iec559) ||
    (std::is_same_v<T, double> && sizeof(T) == 8 && std::numeric_limits<T>::is_iec559);
template <class T> inline constexpr bool is_integer_element_v =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !is_character_v<T> &&
    (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
} // namespace detail

/// A C++ type that stores one safetensors dtype: bool, float, double and the integers of 1,
/// 2, 4 or 8 bytes (std::int32_t, std::uint8_t, long long...). Plain char is not one: its
/// signedness depends on the platform.
template <class T>
concept TensorElement =
    std::is_same_v<T, bool> || detail::is_float_element_v<T> || detail::is_integer_element_v<T>;

/// The dtype that stores T: float -> F32, double -> F64, std::int32_t -> I32, bool -> BOOL...
template <class T> [[nodiscard]] constexpr DType dtype_of() {
  static_assert(TensorElement<T>,
                "smup::safetensors::dtype_of: T has no safetensors dtype. Use bool, float, "
                "double or a fixed-width integer (std::int64_t, std::uint8_t...); store F16 and "
                "BF16 as bytes with Writer::add_bytes.");
  if constexpr (std::is_same_v<T, bool>)
    return DType::BOOL;
  else if constexpr (std::is_same_v<T, float>)
    return DType::F32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::F64;
  else if constexpr (std::is_signed_v<T>)
    return sizeof(T) == 1   ? DType::I8
           : sizeof(T) == 2 ? DType::I16
           : sizeof(T) == 4 ? DType::I32
                            : DType::I64;
  else
    return sizeof(T) == 1   ? DType::U8
           : sizeof(T) == 2 ? DType::U16
           : sizeof(T) == 4 ? DType::U32
                            : DType::U64;
}

/// One tensor's entry in the header. The data are bytes [begin, end) of the file's data.
struct TensorInfo {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;

  /// The product of the shape (1 for a scalar, shape []).
  [[nodiscard]] std::int64_t elements() const {
    // A zero dimension first: a file's other dimensions then hold no bytes, so the reader
    // bounds them by nothing, and their product may not fit.
    if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  [[nodiscard]] std::uint64_t size_bytes() const { return end - begin; }
};

namespace detail {

using smup::detail::fail;

/// "[3, 4]", as messages print shapes.
inline std::string shape_text(std::span<std::int64_t const> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

inline std::string hex8(std::uint32_t v) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(v));
  return text;
}

/// The bytes that `shape` of `dtype` occupies; nothing when a dimension is negative or the
/// count exceeds 2^63 - 1 bytes (no real file is that big; a hostile header may say so).
inline std::optional<std::uint64_t> checked_size(std::span<std::int64_t const> shape, DType dtype) {
  constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t elements = 1;
  bool empty = false;
  for (auto d : shape) {
    if (d < 0) return std::nullopt;
    empty = empty || d == 0;
  }
  if (empty) return 0;
  for (auto d : shape) {
    auto const u = static_cast<std::uint64_t>(d);
    if (elements > limit / u) return std::nullopt;
    elements *= u;
  }
  if (elements > limit / size_of(dtype)) return std::nullopt;
  return elements * size_of(dtype);
}

/// The length of the UTF-8 sequence that `lead` starts (0: not a lead byte), and the payload
/// bits it carries.
inline std::size_t utf8_length(unsigned char lead, std::uint32_t& bits) {
  std::size_t const len = lead < 0x80               ? 1
                          : (lead & 0xE0u) == 0xC0u ? 2
                          : (lead & 0xF0u) == 0xE0u ? 3
                          : (lead & 0xF8u) == 0xF0u ? 4
                                                    : 0;
  constexpr unsigned payload[] = {0x00, 0x7F, 0x1F, 0x0F, 0x07};
  bits = lead & payload[len];
  return len;
}

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
/// U+10FFFF): JSON text must be, and Python refuses to decode anything else.
inline bool valid_utf8(std::string_view s) {
  constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  std::size_t i = 0;
  while (i < s.size()) {
    std::uint32_t cp = 0;
    std::size_t const len = utf8_length(static_cast<unsigned char>(s[i]), cp);
    if (len == 0 || s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto const c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if (cp < smallest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  auto put = [&](std::uint32_t v) { out += static_cast<char>(static_cast<unsigned char>(v)); };
  int const tail = cp < 0x80 ? 0 : cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
  constexpr std::uint32_t lead[] = {0x00, 0xC0, 0xE0, 0xF0};
  put(lead[tail] | (cp >> (6 * tail)));
  for (int k = tail - 1; k >= 0; --k) put(0x80 | ((cp >> (6 * k)) & 0x3F));
}

/// `s` as a JSON string literal; `s` must be valid UTF-8, which passes through unescaped.
inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char esc[7];
        std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
        out += esc;
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

/// The header as parsed: metadata and tensors, in the order the JSON lists them.
struct Header {
  std::map<std::string, std::string> metadata;
  std::vector<std::pair<std::string, TensorInfo>> tensors;
};

/// A strict JSON reader shaped by the header's schema: the top level is an object whose
/// members are "__metadata__" (an object of strings, or null) or tensors. Being schema-led it
/// needs no recursion, so no input can exhaust the stack, and memory stays proportional to
/// the header. Any syntax error or value of the wrong kind throws with the byte offset.
class HeaderParser {
public:
  HeaderParser(std::string_view text, std::string const& where) : s_(text), where_(where) {}

  Header parse() {
    Header h;
    if (s_.empty() || s_[0] != '{')
      syntax("the header must start with '{'; this is not a safetensors file");
    ++i_;
    bool saw_metadata = false;
    std::set<std::string, std::less<>> names;
    if (!consume('}')) {
      do {
        std::string key = string_value("a tensor name or \"__metadata__\"");
        expect(':', "after a key");
        if (key == "__metadata__") {
          if (saw_metadata) schema("\"__metadata__\" appears twice");
          saw_metadata = true;
          metadata(h.metadata);
        } else {
          if (!names.insert(key).second) schema("tensor '" + key + "' appears twice");
          h.tensors.emplace_back(key, tensor(key));
        }
      } while (consume(','));
      expect('}', "to close the header's object (or ',' before another member)");
    }
    for (; i_ < s_.size(); ++i_)
      if (s_[i_] != ' ')
        syntax("unexpected text after the header's closing '}' (only space padding may follow)");
    return h;
  }

private:
  std::string_view s_;
  std::size_t i_ = 0;
  std::string const& where_;

  [[noreturn]] void syntax(std::string const& what) const {
    fail(where_ + "invalid JSON header at byte " + std::to_string(i_) + ": " + what +
         ". The file is corrupted or not a safetensors file.");
  }
  [[noreturn]] void schema(std::string const& what) const {
    fail(where_ + "bad header: " + what +
         ". The file is corrupted or was not written as "
         "safetensors.");
  }

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool consume(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  void expect(char c, char const* context) {
    if (!consume(c)) syntax(std::string("expected '") + c + "' " + context + ", found " + found());
  }
  /// What starts at the cursor, for messages.
  std::string found() {
    skip_space();
    if (i_ >= s_.size()) return "the end of the header";
    switch (s_[i_]) {
    case '{': return "an object";
    case '[': return "an array";
    case '"': return "a string";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    default:
      if (s_[i_] == '-' || (s_[i_] >= '0' && s_[i_] <= '9')) return "a number";
      auto const c = static_cast<unsigned char>(s_[i_]);
      char text[32];
      if (c >= 0x20 && c < 0x7F)
        std::snprintf(text, sizeof text, "'%c'", c);
      else
        std::snprintf(text, sizeof text, "the byte 0x%02x", static_cast<unsigned>(c));
      return text;
    }
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  unsigned hex_digit() {
    if (i_ >= s_.size()) syntax("the header ends inside a \\u escape");
    char const c = s_[i_++];
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    --i_;
    syntax("a \\u escape needs four hex digits");
  }
  std::uint32_t hex4() {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v = (v << 4) | hex_digit();
    return v;
  }

  /// A JSON string at the cursor, decoded; `what` names the value expected, for messages.
  std::string string_value(std::string const& what) {
    skip_space();
    if (i_ >= s_.size() || s_[i_] != '"')
      syntax("expected " + what + " (a string), found " + found());
    ++i_;
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) syntax("the header ends inside a string");
      auto const c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') return ++i_, out;
      if (c < 0x20)
        syntax(std::string("a control character (byte ") + std::to_string(c) + ") inside a string");
      if (c >= 0x80) {
        // Well-formed UTF-8 passes through; the sequence's length comes from its first byte.
        std::uint32_t bits = 0;
        std::size_t const len = utf8_length(c, bits);
        if (len == 0 || s_.size() - i_ < len || !valid_utf8(s_.substr(i_, len)))
          syntax("a string holds bytes that are not valid UTF-8");
        out.append(s_.substr(i_, len));
        i_ += len;
        continue;
      }
      ++i_;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (i_ >= s_.size()) syntax("the header ends inside a string");
      switch (s_[i_++]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t cp = hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) syntax("a \\u escape is an unpaired low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (!literal("\\u")) syntax("a \\u escape is an unpaired high surrogate");
          std::uint32_t const low = hex4();
          if (low < 0xDC00 || low > 0xDFFF) syntax("a \\u escape is an unpaired high surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        break;
      }
      default: --i_; syntax("an unknown escape sequence in a string");
      }
    }
  }

  /// A non-negative integer below 2^63 at the cursor; `what` names it for messages.
  std::uint64_t index_value(std::string const& what) {
    skip_space();
    std::size_t const start = i_;
    if (i_ >= s_.size() || !(s_[i_] == '-' || (s_[i_] >= '0' && s_[i_] <= '9')))
      schema(what + " must be a non-negative integer, not " + found());
    // Checks the whole JSON number grammar first, so "1.5" is called a fraction, not junk.
    bool integral = true;
    if (s_[i_] == '-') ++i_, integral = false;
    auto digits = [&] {
      std::size_t const from = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == from) syntax("a number is missing its digits");
      return i_ - from;
    };
    std::size_t const first_digit = i_;
    if (digits() > 1 && s_[first_digit] == '0') syntax("a number has a leading zero");
    if (i_ < s_.size() && s_[i_] == '.') ++i_, digits(), integral = false;
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_, integral = false;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      digits();
    }
    std::string_view const text = s_.substr(start, i_ - start);
    if (!integral)
      schema(what + " must be a non-negative integer, not " + std::string(text.substr(0, 40)));
    constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::uint64_t v = 0;
    for (char c : text) {
      auto const d = static_cast<std::uint64_t>(c - '0');
      if (v > (limit - d) / 10)
        schema(what + " is " + std::string(text.substr(0, 40)) + ", beyond 2^63 - 1");
      v = v * 10 + d;
    }
    return v;
  }

  void metadata(std::map<std::string, std::string>& out) {
    skip_space();
    if (literal("null")) return; // the reference implementation writes no metadata so
    if (!consume('{')) schema("\"__metadata__\" must be an object of strings, not " + found());
    if (consume('}')) return;
    do {
      std::string key = string_value("a metadata key");
      expect(':', "after a metadata key");
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '"')
        schema("metadata '" + key + "' must be a string, not " + found());
      if (out.contains(key)) schema("metadata '" + key + "' appears twice");
      out.emplace(key, string_value("a metadata value"));
    } while (consume(','));
    expect('}', "to close \"__metadata__\" (or ',' before another entry)");
  }

  TensorInfo tensor(std::string const& name) {
    auto const who = "tensor '" + name + "'";
    if (!consume('{'))
      schema(who + " must be an object with dtype, shape and data_offsets, not " + found());
    TensorInfo t;
    bool seen[3] = {false, false, false};
    if (!consume('}')) {
      do {
        std::string const field = string_value("a field name of " + who);
        expect(':', "after a field name");
        if (field == "dtype") {
          if (seen[0]) schema(who + " has two dtypes");
          seen[0] = true;
          skip_space();
          if (i_ >= s_.size() || s_[i_] != '"')
            schema(who + ": dtype must be a string, not " + found());
          std::string const d = string_value("a dtype");
          auto const parsed = dtype_from_string(d);
          if (!parsed)
            schema(who + " has the unknown dtype '" + d +
                   "' (known: BOOL, U8, I8, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64)");
          t.dtype = *parsed;
        } else if (field == "shape") {
          if (seen[1]) schema(who + " has two shapes");
          seen[1] = true;
          if (!consume('[')) schema(who + ": shape must be an array of integers, not " + found());
          if (!consume(']')) {
            do {
              t.shape.push_back(static_cast<std::int64_t>(index_value(who + ": a dimension")));
            } while (consume(','));
            expect(']', "to close the shape");
          }
        } else if (field == "data_offsets") {
          if (seen[2]) schema(who + " has two data_offsets");
          seen[2] = true;
          if (!consume('[')) schema(who + ": data_offsets must be [begin, end], not " + found());
          t.begin = index_value(who + ": the begin offset");
          if (!consume(',')) schema(who + ": data_offsets must hold two integers");
          t.end = index_value(who + ": the end offset");
          if (!consume(']')) schema(who + ": data_offsets must hold exactly two integers");
        } else {
          schema(who + " has the unknown field '" + field +
                 "' (a tensor has dtype, shape and data_offsets)");
        }
      } while (consume(','));
      expect('}', "to close a tensor (or ',' before another field)");
    }
    char const* const fields[3] = {"dtype", "shape", "data_offsets"};
    for (int k = 0; k < 3; ++k)
      if (!seen[k]) schema(who + " has no " + fields[k]);
    return t;
  }
};

[[noreturn]] inline void layout_error(std::string const& where, std::string const& what) {
  fail(where + what + ". The file is corrupted or truncated; restore it or write it again.");
}

/// Checks each tensor's size against its dtype and shape, and that the tensors tile the
/// `data_size` bytes of data exactly; returns the names in offset order.
inline std::vector<std::string> check_layout(Header const& h, std::uint64_t data_size,
                                             std::string const& where) {
  for (auto const& [name, t] : h.tensors) {
    auto const who = "tensor '" + name + "'";
    auto const need = checked_size(t.shape, t.dtype);
    if (!need)
      layout_error(where, who + " has shape " + shape_text(t.shape) + ", too large to exist");
    if (t.begin > t.end)
      layout_error(where, who + " has data_offsets [" + std::to_string(t.begin) + ", " +
                              std::to_string(t.end) + "], which run backwards");
    if (t.end - t.begin != *need)
      layout_error(where, who + " is " + std::string(to_string(t.dtype)) + " of shape " +
                              shape_text(t.shape) + ", which takes " + std::to_string(*need) +
                              " bytes, but its data_offsets [" + std::to_string(t.begin) + ", " +
                              std::to_string(t.end) + "] hold " + std::to_string(t.end - t.begin));
    if (t.end > data_size)
      layout_error(where, who + " ends at byte " + std::to_string(t.end) +
                              " of the data, but the file holds " + std::to_string(data_size) +
                              " bytes of data: the file is truncated");
  }
  std::vector<std::size_t> order(h.tensors.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    auto const& x = h.tensors[a].second;
    auto const& y = h.tensors[b].second;
    return x.begin != y.begin ? x.begin < y.begin : x.end < y.end;
  });
  std::uint64_t cursor = 0;
  std::string const* previous = nullptr;
  std::vector<std::string> names;
  names.reserve(order.size());
  for (auto k : order) {
    auto const& [name, t] = h.tensors[k];
    if (t.begin > cursor)
      layout_error(
          where, std::string("bytes [") + std::to_string(cursor) + ", " + std::to_string(t.begin) +
                     ") of the data belong to no tensor (a hole before tensor '" + name + "')");
    if (t.begin < cursor)
      layout_error(where, "tensors '" + *previous + "' and '" + name + "' overlap in the data");
    cursor = t.end;
    previous = &name;
    names.push_back(name);
  }
  if (cursor != data_size)
    layout_error(where, std::string("the last ") + std::to_string(data_size - cursor) +
                            " bytes of the data belong to no "
                            "tensor (the tensors end at byte " +
                            std::to_string(cursor) + ")");
  return names;
}

template <class T> T load(std::byte const* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

inline double half_to_double(std::uint16_t h) {
  int const exponent = (h >> 10) & 0x1F;
  double const mantissa = h & 0x3FF;
  double v = exponent == 0    ? std::ldexp(mantissa, -24) // subnormal
             : exponent == 31 ? (mantissa != 0 ? std::numeric_limits<double>::quiet_NaN()
                                               : std::numeric_limits<double>::infinity())
                              : std::ldexp(mantissa + 1024, exponent - 25);
  return (h & 0x8000) ? -v : v;
}

/// One element as a double (integers rounded to nearest, as numpy's astype(float64) does).
inline double element_as_double(DType d, std::byte const* p) {
  switch (d) {
  case DType::BOOL: return std::to_integer<int>(*p) != 0 ? 1.0 : 0.0;
  case DType::U8: return static_cast<double>(load<std::uint8_t>(p));
  case DType::I8: return static_cast<double>(load<std::int8_t>(p));
  case DType::U16: return static_cast<double>(load<std::uint16_t>(p));
  case DType::I16: return static_cast<double>(load<std::int16_t>(p));
  case DType::F16: return half_to_double(load<std::uint16_t>(p));
  case DType::BF16:
    return static_cast<double>(
        std::bit_cast<float>(static_cast<std::uint32_t>(load<std::uint16_t>(p)) << 16));
  case DType::U32: return static_cast<double>(load<std::uint32_t>(p));
  case DType::I32: return static_cast<double>(load<std::int32_t>(p));
  case DType::F32: return static_cast<double>(load<float>(p));
  case DType::U64: return static_cast<double>(load<std::uint64_t>(p));
  case DType::I64: return static_cast<double>(load<std::int64_t>(p));
  case DType::F64: return load<double>(p);
  }
  return 0;
}

/// Reads exactly `size` bytes, or fewer only at the end of the file; errno text on failure.
inline std::size_t read_fully(int fd, std::byte* out, std::size_t size, std::string const& where) {
  std::size_t done = 0;
  while (done < size) {
    std::size_t const chunk = std::min<std::size_t>(size - done, std::size_t{1} << 30);
    ::ssize_t const n = ::read(fd, out + done, chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(where + "reading failed (" + smup::detail::os_reason(errno) + ").");
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

} // namespace detail

/// A safetensors file read into memory, checked whole: a File exists only if every check
/// passed, so its accessors only throw for names or shapes the caller gets wrong.
class File {
public:
  /// Reads and checks `path`: header, layout, crc32 (when recorded) and BOOL bytes.
  [[nodiscard]] static File read(std::filesystem::path const& path) {
    auto const where = "smup::safetensors::File::read: '" + path.string() + "': ";
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int const code = errno;
      smup::detail::fail(where + "cannot open it (" + smup::detail::os_reason(code) + ")." +
                         (code == ENOENT ? " Check the path." : ""));
    }
    // Closes the descriptor on every way out, throws included.
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } const closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
      smup::detail::fail(where + "cannot inspect it (" + smup::detail::os_reason(errno) + ").");
    if (!S_ISREG(st.st_mode))
      smup::detail::fail(where + "not a regular file (a folder or a device?). Give the path of "
                                 "a .safetensors file.");
    auto const size = static_cast<std::uint64_t>(st.st_size);
    std::array<std::byte, 8> prefix{};
    if (size < 8 || detail::read_fully(fd, prefix.data(), 8, where) < 8)
      smup::detail::fail(where + "the file is " + std::to_string(size) +
                         " bytes long, too short to hold the 8-byte header length: it is "
                         "truncated or not a safetensors file.");
    auto const header_size = check_header_size(prefix, size, where);
    std::string header(static_cast<std::size_t>(header_size), '\0');
    auto* header_bytes = reinterpret_cast<std::byte*>(header.data());
    if (detail::read_fully(fd, header_bytes, header.size(), where) < header.size())
      smup::detail::fail(where + "the file ended while its header was read (was it being "
                                 "rewritten?). Read it again.");
    File f;
    f.source_ = path.string();
    auto const data_size = size - 8 - header_size;
    auto parsed = detail::HeaderParser(header, where).parse();
    f.names_ = detail::check_layout(parsed, data_size, where);
    f.data_.resize(static_cast<std::size_t>(data_size));
    if (detail::read_fully(fd, f.data_.data(), f.data_.size(), where) < f.data_.size())
      smup::detail::fail(where + "the file ended while its data was read (was it being "
                                 "rewritten?). Read it again.");
    f.finish(std::move(parsed), where);
    return f;
  }

  /// The same checks on a whole file's bytes in memory; `source_name` stands for the file in
  /// messages. The data is copied, so `bytes` need not outlive the File.
  [[nodiscard]] static File parse(std::span<std::byte const> bytes, std::string_view source_name) {
    auto const where = "smup::safetensors::File::parse: '" + std::string(source_name) + "': ";
    if (bytes.size() < 8)
      smup::detail::fail(where + "the file is " + std::to_string(bytes.size()) +
                         " bytes long, too short to hold the 8-byte header length: it is "
                         "truncated or not a safetensors file.");
    std::array<std::byte, 8> prefix{};
    std::copy_n(bytes.begin(), 8, prefix.begin());
    auto const header_size =
        static_cast<std::size_t>(check_header_size(prefix, bytes.size(), where));
    std::string_view const header(reinterpret_cast<char const*>(bytes.data()) + 8, header_size);
    File f;
    f.source_ = source_name;
    auto parsed = detail::HeaderParser(header, where).parse();
    auto const data = bytes.subspan(8 + header_size);
    f.names_ = detail::check_layout(parsed, data.size(), where);
    f.data_.assign(data.begin(), data.end());
    f.finish(std::move(parsed), where);
    return f;
  }

  /// The path or source name the file was read from.
  [[nodiscard]] std::string const& source() const { return source_; }
  [[nodiscard]] std::map<std::string, std::string> const& metadata() const { return metadata_; }
  /// Every tensor's name, in the order of their data in the file.
  [[nodiscard]] std::vector<std::string> const& names() const { return names_; }
  [[nodiscard]] bool contains(std::string const& name) const { return tensors_.contains(name); }

  [[nodiscard]] TensorInfo const& info(std::string const& name) const {
    auto const it = tensors_.find(name);
    if (it == tensors_.end()) missing(name);
    return it->second;
  }

  /// A tensor's raw bytes (little-endian, row-major); valid while the File lives.
  [[nodiscard]] std::span<std::byte const> bytes(std::string const& name) const {
    auto const& t = info(name);
    return std::span<std::byte const>(data_).subspan(static_cast<std::size_t>(t.begin),
                                                     static_cast<std::size_t>(t.size_bytes()));
  }
  /// The whole data section, the bytes the crc32 covers.
  [[nodiscard]] std::span<std::byte const> data() const { return data_; }

  /// A tensor's elements, after checking its dtype is T's and its shape `expected_shape`.
  template <TensorElement T> [[nodiscard]] std::vector<T>
  tensor(std::string const& name, std::vector<std::int64_t> const& expected_shape) const {
    auto const& t = info(name);
    check_dtype<T>(name, t);
    if (t.shape != expected_shape)
      smup::detail::fail("smup::safetensors::File::tensor: tensor '" + name + "' has shape " +
                         detail::shape_text(t.shape) + " in '" + source_ +
                         "' but the model expects " + detail::shape_text(expected_shape) +
                         ". Load it into a model of the same configuration as the one that "
                         "wrote it.");
    return elements<T>(name);
  }

  /// A tensor's elements, of whatever shape info(name).shape says; checks the dtype only.
  template <TensorElement T> [[nodiscard]] std::vector<T> tensor(std::string const& name) const {
    check_dtype<T>(name, info(name));
    return elements<T>(name);
  }

private:
  std::string source_;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, TensorInfo, std::less<>> tensors_;
  std::vector<std::string> names_;
  std::vector<std::byte> data_;

  File() = default;

  /// The header length from the first 8 bytes, checked against the file's size.
  static std::uint64_t check_header_size(std::array<std::byte, 8> const& prefix,
                                         std::uint64_t file_size, std::string const& where) {
    std::uint64_t n = 0;
    for (int k = 7; k >= 0; --k)
      n = (n << 8) | std::to_integer<std::uint64_t>(prefix[static_cast<std::size_t>(k)]);
    // The reference implementation's limit: no real header comes near it.
    constexpr std::uint64_t max_header = 100'000'000;
    if (n > max_header)
      smup::detail::fail(where + "the header length is " + std::to_string(n) +
                         " bytes, more than the 100 MB a safetensors header may take: the file "
                         "is corrupted or not a safetensors file.");
    if (n > file_size - 8)
      smup::detail::fail(where + "the header length is " + std::to_string(n) + " bytes, but only " +
                         std::to_string(file_size - 8) +
                         " bytes follow it: the file is truncated or not a safetensors file.");
    return n;
  }

  /// The checks that need the data: crc32 and BOOL bytes. Then takes the parsed header.
  void finish(detail::Header&& header, std::string const& where) {
    if (auto const it = header.metadata.find("crc32"); it != header.metadata.end()) {
      auto const& text = it->second;
      std::uint32_t recorded = 0;
      bool hex = text.size() == 8;
      for (char c : text) {
        unsigned digit = 0;
        if (c >= '0' && c <= '9')
          digit = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
          digit = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
          digit = static_cast<unsigned>(c - 'A' + 10);
        else
          hex = false;
        recorded = (recorded << 4) | digit;
      }
      if (!hex)
        smup::detail::fail(where + "metadata crc32 is '" + text.substr(0, 40) +
                           "', not 8 hex digits: the header is corrupted.");
      auto const actual = smup::detail::crc32(data_);
      if (actual != recorded)
        smup::detail::fail(where +
                           "data checksum mismatch: the file is corrupted (the header "
                           "records crc32 " +
                           detail::hex8(recorded) + ", the data has " + detail::hex8(actual) +
                           "). Restore it from a copy or write it again.");
    }
    for (auto& [name, t] : header.tensors) {
      if (t.dtype == DType::BOOL)
        for (std::uint64_t k = t.begin; k < t.end; ++k)
          if (auto const b = std::to_integer<unsigned>(data_[static_cast<std::size_t>(k)]); b > 1)
            smup::detail::fail(where + "tensor '" + name + "' is BOOL but element " +
                               std::to_string(k - t.begin) + " is the byte " + std::to_string(b) +
                               " (BOOL elements are 0 or 1): the file is corrupted.");
      tensors_.emplace(std::move(name), std::move(t));
    }
    metadata_ = std::move(header.metadata);
  }

  [[noreturn]] void missing(std::string const& name) const {
    std::string listed;
    for (std::size_t k = 0; k < names_.size() && k < 8; ++k)
      listed += (k ? ", '" : "'") + names_[k] + "'";
    if (names_.size() > 8) listed += ", ...";
    smup::detail::fail("smup::safetensors::File: no tensor named '" + name + "' in '" + source_ +
                       "' (it holds " + std::to_string(names_.size()) + " tensor(s)" +
                       (names_.empty() ? "" : ": " + listed) +
                       "). Check the name, or that the file was written by the same model.");
  }

  template <class T> void check_dtype(std::string const& name, TensorInfo const& t) const {
    if (t.dtype != dtype_of<T>())
      smup::detail::fail("smup::safetensors::File::tensor: tensor '" + name + "' has dtype " +
                         std::string(to_string(t.dtype)) + " in '" + source_ +
                         "' but the model expects " + std::string(to_string(dtype_of<T>())) +
                         ". Read it with the element type of the model that wrote it.");
  }

  template <class T> std::vector<T> elements(std::string const& name) const {
    auto const raw = bytes(name);
    std::vector<T> out(raw.size() / sizeof(T));
    if constexpr (std::is_same_v<T, bool>) {
      for (std::size_t k = 0; k < out.size(); ++k) out[k] = std::to_integer<int>(raw[k]) != 0;
    } else if (!raw.empty()) {
      std::memcpy(out.data(), raw.data(), raw.size());
    }
    return out;
  }
};

/// Collects tensors and metadata, then writes them as one safetensors file.
class Writer {
public:
  /// Adds or replaces a metadata entry. "crc32" is reserved: write() computes it. "format"
  /// defaults to "safetensors" (Hugging Face transformers wants "pt" for its own models).
  void set_metadata(std::string key, std::string value) {
    auto const who = "smup::safetensors::Writer::set_metadata: ";
    if (key == "crc32")
      smup::detail::fail(std::string(who) + "the key 'crc32' is reserved: write() records the "
                                            "data's checksum there. Choose another key.");
    if (!detail::valid_utf8(key) || !detail::valid_utf8(value))
      smup::detail::fail(std::string(who) + "metadata '" + key +
                         "' is not valid UTF-8, which JSON requires. Pass UTF-8 text.");
    metadata_[std::move(key)] = std::move(value);
  }

  /// Adds a tensor of `shape` (row-major) holding `data`: a std::vector, std::array or
  /// std::span of bool, float, double or a fixed-width integer. The data is copied.
  template <std::ranges::contiguous_range R>
    requires TensorElement<std::remove_cv_t<std::ranges::range_value_t<R>>>
  void add(std::string name, std::vector<std::int64_t> shape, R const& data) {
    using T = std::remove_cv_t<std::ranges::range_value_t<R>>;
    auto const count = static_cast<std::size_t>(std::ranges::size(data));
    auto const* first = reinterpret_cast<std::byte const*>(std::ranges::data(data));
    check_count(name, shape, dtype_of<T>(), count);
    insert(std::move(name), dtype_of<T>(), std::move(shape),
           std::vector<std::byte>(first, first + count * sizeof(T)));
  }

  /// std::vector<bool> packs its bits, so it gets its own overload.
  void add(std::string name, std::vector<std::int64_t> shape, std::vector<bool> const& data) {
    check_count(name, shape, DType::BOOL, data.size());
    std::vector<std::byte> bytes(data.size());
    for (std::size_t k = 0; k < data.size(); ++k) bytes[k] = data[k] ? std::byte{1} : std::byte{0};
    insert(std::move(name), DType::BOOL, std::move(shape), std::move(bytes));
  }

  /// Adds a tensor given as raw little-endian bytes, for dtypes without a C++ type (F16, BF16).
  void add_bytes(std::string name, DType dtype, std::vector<std::int64_t> shape,
                 std::span<std::byte const> bytes) {
    auto const need = check_shape(name, shape, dtype);
    if (bytes.size() != need)
      smup::detail::fail("smup::safetensors::Writer::add_bytes: tensor '" + name + "' is " +
                         std::string(to_string(dtype)) + " of shape " + detail::shape_text(shape) +
                         ", which takes " + std::to_string(need) + " bytes, but " +
                         std::to_string(bytes.size()) +
                         " were given. Pass the shape and bytes of the same tensor.");
    if (dtype == DType::BOOL)
      for (auto b : bytes)
        if (std::to_integer<unsigned>(b) > 1)
          smup::detail::fail("smup::safetensors::Writer::add_bytes: tensor '" + name +
                             "' is BOOL but holds the byte " +
                             std::to_string(std::to_integer<unsigned>(b)) +
                             "; BOOL elements are 0 or 1.");
    insert(std::move(name), dtype, std::move(shape),
           std::vector<std::byte>(bytes.begin(), bytes.end()));
  }

  [[nodiscard]] std::size_t size() const { return entries_.size(); }

  /// The whole file's bytes, exactly as write() stores them.
  [[nodiscard]] std::vector<std::byte> to_bytes() const {
    auto const order = layout();
    auto const prefix = header(order);
    std::vector<std::byte> out(prefix.size());
    std::memcpy(out.data(), prefix.data(), prefix.size());
    for (auto k : order) out.insert(out.end(), entries_[k].bytes.begin(), entries_[k].bytes.end());
    return out;
  }

  /// Writes the file atomically: a temporary beside `path`, fsync, then a rename over `path`.
  /// On failure, smup::error names the file and the reason, and an old file stays as it was.
  void write(std::filesystem::path const& path) const {
    auto const order = layout();
    auto const prefix = header(order);
    std::vector<std::span<std::byte const>> pieces;
    pieces.reserve(order.size() + 1);
    pieces.emplace_back(reinterpret_cast<std::byte const*>(prefix.data()), prefix.size());
    for (auto k : order) pieces.emplace_back(entries_[k].bytes);
    smup::detail::replace_file_atomically(path, pieces, "smup::safetensors::Writer::write");
  }

private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<std::int64_t> shape;
    std::vector<std::byte> bytes;
  };
  std::map<std::string, std::string> metadata_;
  std::vector<Entry> entries_;
  std::set<std::string, std::less<>> names_;

  /// The bytes `shape` of `dtype` takes, after checking the name and the shape.
  std::uint64_t check_shape(std::string const& name, std::span<std::int64_t const> shape,
                            DType dtype) const {
    auto const who = "smup::safetensors::Writer::add: tensor '" + name + "': ";
    if (name.empty()) smup::detail::fail(who + "the name is empty. Give every tensor a name.");
    if (name.starts_with("__"))
      smup::detail::fail(who + "names starting with '__' are reserved for the format (such as "
                               "__metadata__). Rename the tensor.");
    if (!detail::valid_utf8(name))
      smup::detail::fail(who + "the name is not valid UTF-8, which JSON requires.");
    if (names_.contains(name))
      smup::detail::fail(who + "a tensor of this name was already added. Names must be unique.");
    for (std::size_t k = 0; k < shape.size(); ++k)
      if (shape[k] < 0)
        smup::detail::fail(who + "dimension " + std::to_string(k) + " of shape " +
                           detail::shape_text(shape) + " is negative. Dimensions are >= 0.");
    auto const need = detail::checked_size(shape, dtype);
    if (!need)
      smup::detail::fail(who + "shape " + detail::shape_text(shape) + " of " +
                         std::string(to_string(dtype)) + " takes more than 2^63 bytes.");
    return *need;
  }

  void check_count(std::string const& name, std::span<std::int64_t const> shape, DType dtype,
                   std::size_t count) const {
    auto const need = check_shape(name, shape, dtype) / size_of(dtype);
    if (count != need)
      smup::detail::fail("smup::safetensors::Writer::add: tensor '" + name + "': shape " +
                         detail::shape_text(shape) + " holds " + std::to_string(need) +
                         " elements, but the data holds " + std::to_string(count) +
                         ". Pass the shape of the data.");
  }

  void insert(std::string name, DType dtype, std::vector<std::int64_t> shape,
              std::vector<std::byte> bytes) {
    names_.insert(name);
    entries_.push_back(Entry{std::move(name), dtype, std::move(shape), std::move(bytes)});
  }

  /// Wider elements first, then in the order added: every tensor then starts at a multiple
  /// of its element size (the data starts 8-aligned), so readers may map it in place.
  std::vector<std::size_t> layout() const {
    std::vector<std::size_t> order(entries_.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return size_of(entries_[a].dtype) > size_of(entries_[b].dtype);
    });
    return order;
  }

  /// The length prefix and the JSON header, padded so the data starts 8-byte aligned.
  std::string header(std::vector<std::size_t> const& order) const {
    std::uint32_t crc = 0;
    for (auto k : order) crc = smup::detail::crc32(entries_[k].bytes, crc);
    auto metadata = metadata_;
    metadata["crc32"] = detail::hex8(crc);
    metadata.emplace("format", "safetensors");
    std::string json = "{\"__metadata__\":{";
    bool first = true;
    for (auto const& [key, value] : metadata) {
      if (!first) json += ',';
      first = false;
      detail::append_json_string(json, key);
      json += ':';
      detail::append_json_string(json, value);
    }
    json += '}';
    std::uint64_t offset = 0;
    for (auto k : order) {
      auto const& e = entries_[k];
      json += ',';
      detail::append_json_string(json, e.name);
      json += ":{\"dtype\":\"";
      json += to_string(e.dtype);
      json += "\",\"shape\":[";
      for (std::size_t d = 0; d < e.shape.size(); ++d) {
        if (d) json += ",";
        json += std::to_string(e.shape[d]);
      }
      json += "],\"data_offsets\":[" + std::to_string(offset) + ",";
      offset += e.bytes.size();
      json += std::to_string(offset) + "]}";
    }
    json += '}';
    json.append((8 - json.size() % 8) % 8, ' ');
    std::string out(8, '\0');
    auto n = static_cast<std::uint64_t>(json.size());
    for (std::size_t k = 0; k < 8; ++k, n >>= 8) out[k] = static_cast<char>(n & 0xFFu);
    return out + json;
  }
};

/// One line per tensor, in offset order: "name DTYPE [d0,d1] sum", the sum of the elements
/// as doubles added in order and printed with %.17g ("nan" for any NaN). This is exactly what
/// tools/read_safetensors.py prints, so the two can be compared to check a file both ways.
[[nodiscard]] inline std::string listing(File const& file) {
  std::string out;
  for (auto const& name : file.names()) {
    auto const& t = file.info(name);
    auto const raw = file.bytes(name);
    auto const step = size_of(t.dtype);
    double sum = 0;
    for (std::size_t k = 0; k < raw.size(); k += step)
      sum += detail::element_as_double(t.dtype, raw.data() + k);
    char text[40];
    if (std::isnan(sum))
      std::snprintf(text, sizeof text, "nan");
    else
      std::snprintf(text, sizeof text, "%.17g", sum);
    out += name + " " + std::string(to_string(t.dtype)) + " [";
    for (std::size_t d = 0; d < t.shape.size(); ++d) {
      if (d) out += ",";
      out += std::to_string(t.shape[d]);
    }
    out += "] " + std::string(text) + "\n";
  }
  return out;
}

} // namespace smup::safetensors
