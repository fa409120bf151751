#pragma once
/// Byte-level text for the GPT: a corpus whose tokens are its bytes (vocabulary 256),
/// read from files and split into a training and a validation part. Batches of windows
/// of it are smup/io/text.hpp's TextBatches.
///
///     auto corpus = smup::io::load_fortunes();             // /usr/share/games/fortunes
///     auto mine = smup::io::load_text("books/");           // every text file below books/
///     auto tiny = smup::io::parse_text(bytes, "in memory"); // the same rules, no file
///
/// Loading. `load_text` reads one file, or every regular file under a folder
/// (recursively, in sorted path order, so the corpus does not depend on the order the
/// file system lists them). A file reached twice through symbolic links is read once,
/// at its first path; links to folders are not followed. The files are concatenated;
/// one that does not end in a newline gets one, so files never run into each other.
/// `load_fortunes` reads the top level of Debian's fortune folder (subfolders hold
/// other languages and the rot13-encoded offensive set), skips the `.dat` indices
/// and drops the separator lines holding only `%`.
///
/// Binary rule. A file is binary when it holds a NUL byte, or when more than 1 in 10
/// of its bytes are suspect: a control character (DEL included) other than tab,
/// newline, vertical tab, form feed and carriage return, or a byte that is not part of
/// a well-formed UTF-8 sequence. Old terminal text (backspace overstriking, bells) and
/// the odd Latin-1 accent therefore pass; executables, compressed files and UTF-16
/// do not.
/// Inside a folder binary files are skipped (and listed); a binary file given
/// directly is an error.
///
/// Split. The text is cut into consecutive blocks of 1024 bytes, block k (counting
/// from 0; the last one may be shorter) goes to validation when k % 10 == 9 and to
/// training otherwise, and each part is its blocks joined in order: 10% validation,
/// decided by the bytes alone. Where two blocks of a part meet, one target in 1024
/// (validation) or 9216 (training) is not the byte that followed in the source text.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <smup/core/error.hpp>

namespace smup::io {

enum class TextPart { train, validation };

struct TextCorpus {
  static constexpr std::int64_t vocab = 256;            ///< tokens are bytes
  static constexpr std::int64_t block_bytes = 1024;     ///< the unit of the split
  static constexpr std::int64_t validation_period = 10; ///< block k validates when k % 10 == 9
  static constexpr double validation_fraction = 1.0 / validation_period;

  std::vector<std::uint8_t> train;
  std::vector<std::uint8_t> validation;
  std::vector<std::filesystem::path> files;   ///< read, in the order of the text
  std::vector<std::filesystem::path> skipped; ///< in a folder: binary files, fortune indices

  [[nodiscard]] std::int64_t size() const {
    return static_cast<std::int64_t>(train.size() + validation.size());
  }
  [[nodiscard]] std::vector<std::uint8_t> const& part(TextPart p) const {
    return p == TextPart::train ? train : validation;
  }

  /// Splits text already in memory by the rule above (files stay empty).
  static TextCorpus split(std::span<std::uint8_t const> text) {
    TextCorpus out;
    std::int64_t block = 0;
    for (std::size_t start = 0; start < text.size(); start += block_bytes, ++block) {
      auto const end = std::min(text.size(), start + std::size_t{block_bytes});
      auto& part = block % validation_period == validation_period - 1 ? out.validation : out.train;
      part.insert(part.end(), text.begin() + static_cast<std::ptrdiff_t>(start),
                  text.begin() + static_cast<std::ptrdiff_t>(end));
    }
    return out;
  }
};

inline constexpr char const* default_fortunes_dir = "/usr/share/games/fortunes";

namespace detail {

/// Length of the well-formed UTF-8 sequence starting at `i` (Unicode table 3-7:
/// no overlong forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
inline std::size_t utf8_sequence_length(std::span<std::uint8_t const> s, std::size_t i) {
  auto const lead = s[i];
  std::size_t length = 0;
  std::uint8_t low = 0x80, high = 0xbf; // the range allowed for the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (i + length > s.size() || s[i + 1] < low || s[i + 1] > high) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (s[i + k] < 0x80 || s[i + k] > 0xbf) return 0;
  return length;
}

/// Why `bytes` is binary by the rule in the header comment, or "" when it is text.
inline std::string binary_reason(std::span<std::uint8_t const> bytes) {
  std::size_t suspect = 0;
  for (std::size_t i = 0; i < bytes.size();) {
    auto const c = bytes[i];
    if (c == 0) return "it holds a NUL byte at offset " + std::to_string(i);
    if (c < 0x80) {
      if ((c < 0x20 && (c < '\t' || c > '\r')) || c == 0x7f) ++suspect;
      ++i;
    } else if (auto const length = utf8_sequence_length(bytes, i); length > 0) {
      i += length;
    } else {
      ++suspect;
      ++i;
    }
  }
  if (suspect * 10 > bytes.size())
    return std::to_string(suspect) + " of its " + std::to_string(bytes.size()) +
           " bytes (more than 1 in 10) are neither printable ASCII, whitespace nor UTF-8";
  return {};
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

/// stdio rather than iostreams: only it tells a read error from the end of the file.
inline std::vector<std::uint8_t> read_file_bytes(std::filesystem::path const& path,
                                                 std::string const& who) {
  auto const cannot = [&](int err) {
    smup::detail::fail(who + ": '" + path.string() + "' cannot be read (" + std::strerror(err) +
                       "). Check that the file is readable.");
  };
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.string().c_str(), "rb"));
  if (!file) cannot(errno);
  errno = 0;
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[1 << 16];
  for (;;) {
    auto const n = std::fread(chunk, 1, sizeof chunk, file.get());
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (n < sizeof chunk) break;
  }
  if (std::ferror(file.get())) cannot(errno != 0 ? errno : EIO);
  return bytes;
}

/// The text without fortune separators: lines holding only `%` (before a LF or CRLF).
inline std::vector<std::uint8_t> without_separator_lines(std::vector<std::uint8_t> const& text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size());
  for (auto line = text.begin(); line != text.end();) {
    auto const newline = std::find(line, text.end(), std::uint8_t{'\n'});
    auto const next = newline == text.end() ? newline : newline + 1;
    auto const length = newline - line;
    bool const separator = line[0] == '%' && (length == 1 || (length == 2 && line[1] == '\r'));
    if (!separator) out.insert(out.end(), line, next);
    line = next;
  }
  return out;
}

/// The regular files (symbolic links followed) in `dir`, sorted by path.
inline std::vector<std::filesystem::path> regular_files(std::filesystem::path const& dir,
                                                        bool recursive, std::string const& where) {
  namespace fs = std::filesystem;
  std::vector<fs::path> found;
  std::error_code ec;
  auto const add = [&](fs::directory_entry const& entry) {
    std::error_code entry_ec; // a dangling link is no file, not an error
    if (entry.is_regular_file(entry_ec)) found.push_back(entry.path());
  };
  if (recursive) {
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      add(*it);
  } else {
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) add(*it);
  }
  if (ec)
    smup::detail::fail(where + ": its contents cannot be listed (" + ec.message() +
                       "). Check the folder's permissions.");
  // Component-wise byte order: the same tree gives the same order on every machine.
  std::sort(found.begin(), found.end());
  return found;
}

struct TextFormat {
  char const* who; ///< the public function, for messages
  bool fortunes;   ///< top level only, no .dat indices, no % separator lines
};

/// Adds one file's bytes to the text, ending in a newline so files never run into each
/// other.
inline void append_text(std::vector<std::uint8_t>& text, std::span<std::uint8_t const> bytes) {
  text.insert(text.end(), bytes.begin(), bytes.end());
  if (!bytes.empty() && bytes.back() != '\n') text.push_back('\n');
}

inline void refuse_binary(std::span<std::uint8_t const> bytes, std::string const& where) {
  if (auto const why = binary_reason(bytes); !why.empty())
    smup::detail::fail(where + " looks binary: " + why +
                       ". Pass a plain-text file (inside a folder, binary files are skipped).");
}

inline void refuse_empty(std::vector<std::uint8_t> const& text, std::string const& where,
                         TextFormat format) {
  if (text.empty())
    smup::detail::fail(where + ": the text is empty" +
                       (format.fortunes ? " once the lines holding only % are removed" : "") +
                       ". Pass a file or folder with some text.");
}

inline TextCorpus load_text(std::filesystem::path const& path, TextFormat format) {
  namespace fs = std::filesystem;
  std::string const who = format.who;
  std::string const where = who + ": '" + path.string() + "'";
  std::error_code ec;
  auto const status = fs::status(path, ec);
  if (!fs::exists(status))
    smup::detail::fail(where + ": no such file or directory. Check the path" +
                       (format.fortunes ? " (Debian: apt-get install fortunes)." : "."));

  std::vector<std::uint8_t> text;
  std::vector<fs::path> files, skipped;
  auto const append = [&](fs::path const& file, std::vector<std::uint8_t> bytes) {
    if (format.fortunes) bytes = without_separator_lines(bytes);
    append_text(text, bytes);
    files.push_back(file);
  };

  if (fs::is_regular_file(status)) {
    auto bytes = read_file_bytes(path, who);
    refuse_binary(bytes, where);
    append(path, std::move(bytes));
  } else if (fs::is_directory(status)) {
    std::set<fs::path> seen; // canonical paths, so links to a file read it once
    for (auto const& file : regular_files(path, !format.fortunes, where)) {
      std::error_code canonical_ec;
      auto const canonical = fs::canonical(file, canonical_ec);
      if (!seen.insert(canonical_ec ? file : canonical).second) continue;
      if (format.fortunes && file.extension() == ".dat") {
        skipped.push_back(file); // strfile's binary index of the collection beside it
        continue;
      }
      auto bytes = read_file_bytes(file, who);
      if (!binary_reason(bytes).empty()) {
        skipped.push_back(file);
        continue;
      }
      append(file, std::move(bytes));
    }
    if (files.empty())
      smup::detail::fail(where + ": the folder holds no plain-text files" +
                         (skipped.empty()
                              ? std::string()
                              : " (" + std::to_string(skipped.size()) + " skipped as binary" +
                                    (format.fortunes ? " or as .dat indices)" : ")")) +
                         ". Pass a folder that holds text files.");
  } else {
    smup::detail::fail(where +
                       " is neither a regular file nor a folder. Pass a text file or a folder.");
  }

  refuse_empty(text, where, format);
  auto corpus = TextCorpus::split(text);
  corpus.files = std::move(files);
  corpus.skipped = std::move(skipped);
  return corpus;
}

} // namespace detail

/// Reads a plain-text file, or every plain-text file under a folder (see above).
inline TextCorpus load_text(std::filesystem::path const& path) {
  return detail::load_text(path, {"smup::io::load_text", false});
}

/// Reads the fortune collections in `dir` (Debian: apt-get install fortunes), without
/// their `.dat` indices and `%` separator lines.
inline TextCorpus load_fortunes(std::filesystem::path const& dir = default_fortunes_dir) {
  return detail::load_text(dir, {"smup::io::load_fortunes", true});
}

/// The corpus of one text already in memory, by the rules load_text applies to a single
/// file: binary text refused, a newline added at the end if missing, the same split.
/// `source_name` stands for the file in messages. For tests and fuzzing.
///
///     auto corpus = smup::io::parse_text(bytes, "sample");  // corpus.files stays empty
[[nodiscard]] inline TextCorpus parse_text(std::span<std::uint8_t const> bytes,
                                           std::string_view source_name) {
  detail::TextFormat const format{"smup::io::parse_text", false};
  std::string const where = std::string(format.who) + ": '" + std::string(source_name) + "'";
  detail::refuse_binary(bytes, where);
  std::vector<std::uint8_t> text;
  detail::append_text(text, bytes);
  detail::refuse_empty(text, where, format);
  return TextCorpus::split(text);
}

/// Whether `bytes` is binary by the rule in the header comment.
[[nodiscard]] inline bool looks_binary(std::span<std::uint8_t const> bytes) {
  return !detail::binary_reason(bytes).empty();
}

} // namespace smup::io
