#pragma once
/// Byte-level text for the GPT: a corpus whose tokens are its bytes (vocabulary 256),
/// split into a training and a validation part, and batches of windows of it.
///
///     auto corpus = smup::io::load_fortunes();   // /usr/share/games/fortunes
///     smup::io::TextBatches<> train(corpus, smup::io::TextPart::train, 32, 64, /*seed=*/7);
///     smup::io::TextBatches<> valid(corpus, smup::io::TextPart::validation, 32, 64);
///     for (std::int64_t step = 0; step < steps; ++step) {
///       auto [tokens, targets] = train.batch(step);   // a pure function of (seed, step)
///       model.train_step(tokens, targets, adam, 1.0);
///     }
///     for (std::int64_t i = 0; i < valid.eval_batches(); ++i) {
///       auto [tokens, targets] = valid.eval_batch(i); // the same windows in every run
///       double loss = model.evaluate(tokens, targets);
///     }
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
#include <utility>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/sparsity/counter_hash.hpp>

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
    text.insert(text.end(), bytes.begin(), bytes.end());
    if (!bytes.empty() && bytes.back() != '\n') text.push_back('\n');
    files.push_back(file);
  };

  if (fs::is_regular_file(status)) {
    auto bytes = read_file_bytes(path, who);
    if (auto const why = binary_reason(bytes); !why.empty())
      smup::detail::fail(where + " looks binary: " + why +
                         ". Pass a plain-text file (inside a folder, binary files are skipped).");
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

  if (text.empty())
    smup::detail::fail(where + ": the text is empty" +
                       (format.fortunes ? " once the lines holding only % are removed" : "") +
                       ". Pass a file or folder with some text.");
  auto corpus = TextCorpus::split(text);
  corpus.files = std::move(files);
  corpus.skipped = std::move(skipped);
  return corpus;
}

/// Fills `sequences` windows of `context` bytes of `text` and their next bytes. Sampled
/// windows start at counter_hash(seed, step, b) mod the number of starts, so they do not
/// depend on backend or thread count; the others are consecutive from window `first`.
template <class E, class Bytes, class Tokens>
void gather_windows(Bytes const& text, Tokens const& tokens, Tokens const& targets,
                    std::int64_t sequences, std::int64_t context, bool sampled, std::uint64_t seed,
                    std::uint64_t step, std::int64_t first) {
  auto const starts =
      static_cast<std::uint64_t>(text.extent(0)) - static_cast<std::uint64_t>(context);
  Kokkos::parallel_for(
      "smup::io::TextBatches",
      Kokkos::RangePolicy<E, Kokkos::IndexType<std::int64_t>>(0, sequences * context),
      KOKKOS_LAMBDA(std::int64_t c) {
        std::int64_t const b = c / context;
        std::int64_t const t = c - b * context;
        std::int64_t const start =
            sampled ? static_cast<std::int64_t>(
                          smup::detail::counter_hash(seed, step, static_cast<std::uint64_t>(b)) %
                          starts)
                    : (first + b) * context;
        tokens(c) = text(start + t);
        targets(c) = text(start + t + 1);
      });
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

/// Whether `bytes` is binary by the rule in the header comment.
[[nodiscard]] inline bool looks_binary(std::span<std::uint8_t const> bytes) {
  return !detail::binary_reason(bytes).empty();
}

/// Batches of `batch_size` windows of `context` bytes of one part of a corpus, as
/// `tokens` and `targets` (the byte after each token), each batch_size * context long
/// with sequence b at columns b * context + t: the GPT's [features][batch * context].
/// The part is copied to the execution space once; windows are cut there.
template <class ExecutionSpace = Kokkos::DefaultExecutionSpace> class TextBatches {
public:
  using execution_space = ExecutionSpace;
  using Tokens = Kokkos::View<int*, typename ExecutionSpace::memory_space>;
  struct Batch {
    Tokens tokens;
    Tokens targets;
  };

  TextBatches(TextCorpus const& corpus, TextPart part, std::int64_t batch_size,
              std::int64_t context, std::uint64_t seed = 0)
      : batch_size_(batch_size), context_(context), seed_(seed) {
    if (batch_size < 1)
      smup::detail::fail("smup::io::TextBatches: batch_size must be at least 1 (got " +
                         std::to_string(batch_size) + ").");
    if (context < 1)
      smup::detail::fail("smup::io::TextBatches: context must be at least 1 (got " +
                         std::to_string(context) + ").");
    auto const& bytes = corpus.part(part);
    if (static_cast<std::int64_t>(bytes.size()) < context + 1)
      smup::detail::fail("smup::io::TextBatches: the " +
                         std::string(part == TextPart::train ? "training" : "validation") +
                         " part holds " + std::to_string(bytes.size()) + " bytes, fewer than the " +
                         std::to_string(context + 1) + " that one window of context " +
                         std::to_string(context) +
                         " and its targets need. Use a shorter context or more text.");
    text_ = Bytes("smup::io::TextBatches::text", bytes.size());
    auto host = Kokkos::create_mirror_view(text_);
    std::copy(bytes.begin(), bytes.end(), host.data());
    Kokkos::deep_copy(text_, host);
    train_ = allocate(batch_size_);
  }

  [[nodiscard]] std::int64_t batch_size() const { return batch_size_; }
  [[nodiscard]] std::int64_t context() const { return context_; }

  /// Training batch `step`: windows starting anywhere in the part, drawn with
  /// replacement from (seed, step, b) alone, so any step can be replayed in any order.
  /// The views are reused: the next call to batch() overwrites them.
  Batch batch(std::int64_t step) {
    if (step < 0)
      smup::detail::fail("smup::io::TextBatches: step " + std::to_string(step) +
                         " is negative. Steps count from 0.");
    detail::gather_windows<ExecutionSpace>(text_, train_.tokens, train_.targets, batch_size_,
                                           context_, true, seed_, static_cast<std::uint64_t>(step),
                                           0);
    return train_;
  }

  /// Consecutive non-overlapping windows over the whole part, the same for any batch
  /// size and seed: window w holds bytes [w * context, (w + 1) * context].
  [[nodiscard]] std::int64_t eval_sequences() const {
    return (static_cast<std::int64_t>(text_.extent(0)) - 1) / context_;
  }
  [[nodiscard]] std::int64_t eval_batches() const {
    return (eval_sequences() + batch_size_ - 1) / batch_size_;
  }

  /// Evaluation batch `index`: windows index * batch_size onwards. Every window counts
  /// once, so the last batch may hold fewer sequences (tokens.extent(0) / context);
  /// weight its loss by that when averaging. The next call to eval_batch() overwrites it.
  Batch eval_batch(std::int64_t index) {
    if (index < 0 || index >= eval_batches())
      smup::detail::fail("smup::io::TextBatches: evaluation batch " + std::to_string(index) +
                         " is outside the " + std::to_string(eval_batches()) +
                         " of this part. Pass 0 to eval_batches() - 1.");
    auto const first = index * batch_size_;
    auto const sequences = std::min(batch_size_, eval_sequences() - first);
    if (static_cast<std::int64_t>(eval_.tokens.extent(0)) != sequences * context_)
      eval_ = allocate(sequences);
    detail::gather_windows<ExecutionSpace>(text_, eval_.tokens, eval_.targets, sequences, context_,
                                           false, 0, 0, first);
    return eval_;
  }

private:
  using Bytes = Kokkos::View<std::uint8_t*, typename ExecutionSpace::memory_space>;

  Batch allocate(std::int64_t sequences) const {
    auto const n = static_cast<std::size_t>(sequences * context_);
    return {Tokens("smup::io::TextBatches::tokens", n),
            Tokens("smup::io::TextBatches::targets", n)};
  }

  std::int64_t batch_size_;
  std::int64_t context_;
  std::uint64_t seed_;
  Bytes text_;
  Batch train_;
  Batch eval_;
};

} // namespace smup::io
