// Byte-level text: loading folders and fortune collections, the binary rule, the fixed
// train/validation split, and the layout and determinism of TextBatches.
#include "catch.hpp"
#include "kernel_reference.hpp"
#include "temp_dir.hpp"

#include <smup/io/text.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/sparsity/counter_hash.hpp>

namespace {

namespace fs = std::filesystem;
using smup::io::TextCorpus;
using smup::io::TextPart;
using smup_test::TempDir;
using namespace std::string_literals;

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

std::string text_of(std::vector<std::uint8_t> const& b) { return {b.begin(), b.end()}; }

/// Paths relative to `dir`, as strings (Catch2 2.x cannot print a path).
std::vector<std::string> names(std::vector<fs::path> const& paths, fs::path const& dir) {
  std::vector<std::string> out;
  for (auto const& p : paths) out.push_back(p.lexically_relative(dir).generic_string());
  return out;
}

fs::path write(fs::path const& p, std::string const& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

/// `n` printable ASCII bytes, with a newline every 64, ending in a newline.
std::string pseudo_text(std::size_t n, std::uint64_t seed) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = (i + 1) % 64 == 0 || i + 1 == n
               ? '\n'
               : static_cast<char>(' ' + smup::detail::counter_hash(seed, i, 0) % 95);
  return s;
}

/// The whole text again, interleaving the parts' blocks by the documented rule.
std::vector<std::uint8_t> rejoin(TextCorpus const& c) {
  std::vector<std::uint8_t> out;
  std::size_t at[2] = {0, 0};
  for (std::int64_t block = 0; at[0] < c.train.size() || at[1] < c.validation.size(); ++block) {
    int const v = block % 10 == 9 ? 1 : 0;
    auto const& part = v ? c.validation : c.train;
    auto const n = std::min<std::size_t>(1024, part.size() - at[v]);
    out.insert(out.end(), part.begin() + static_cast<std::ptrdiff_t>(at[v]),
               part.begin() + static_cast<std::ptrdiff_t>(at[v] + n));
    at[v] += n;
  }
  return out;
}

template <class View> std::vector<int> values(View const& v) {
  auto const h = smup_test::host_copy(v);
  return std::vector<int>(h.data(), h.data() + h.extent(0));
}

/// Whether sequence b of a batch is some window of `part` with its next bytes as targets.
bool is_window_of(std::vector<std::uint8_t> const& part, std::vector<int> const& tokens,
                  std::vector<int> const& targets, std::size_t b, std::size_t context) {
  for (std::size_t s = 0; s + context < part.size(); ++s) {
    bool match = true;
    for (std::size_t t = 0; t < context && match; ++t)
      match = tokens[b * context + t] == part[s + t] && targets[b * context + t] == part[s + t + 1];
    if (match) return true;
  }
  return false;
}

} // namespace

TEST_CASE("load_text reads a folder's text files once each in sorted order and skips binary ones",
          "[io][text]") {
  TempDir dir("text-folder");
  write(dir.path / "b.txt", "second\n");
  write(dir.path / "a.txt", "first\n");
  write(dir.path / "sub" / "c.txt", "third"); // no final newline: one is added
  write(dir.path / "blob.bin", "ab\0cd"s);
  write(dir.path / "words.dat", "\0\0\0\2\0\0\0\3"s); // what strfile's index starts with
  fs::create_symlink("a.txt", dir.path / "a.u8");     // the same content under a second name
  fs::create_symlink("nowhere", dir.path / "dangling");

  auto const corpus = smup::io::load_text(dir.path);
  CHECK(text_of(corpus.train) == "first\nsecond\nthird\n");
  CHECK(corpus.validation.empty());
  CHECK(corpus.size() == 19);
  using Names = std::vector<std::string>;
  CHECK(names(corpus.files, dir.path) == Names{"a.txt", "b.txt", "sub/c.txt"});
  CHECK(names(corpus.skipped, dir.path) == Names{"blob.bin", "words.dat"});
}

TEST_CASE("load_fortunes drops separator lines, .dat indices, links and subfolders", "[io][text]") {
  TempDir dir("text-fortunes");
  auto const jokes = "one\n%\ntwo\n%%\n 100%\n%\r\nthree\n%"s;
  write(dir.path / "jokes", jokes);
  write(dir.path / "jokes.dat", "text, but an index by its name\n");
  fs::create_symlink("jokes", dir.path / "jokes.u8");
  write(dir.path / "more", "four\n%\n");
  write(dir.path / "off" / "rude", "ebg13\n"); // another package's subfolder

  auto const fortunes = smup::io::load_fortunes(dir.path);
  CHECK(text_of(fortunes.train) == "one\ntwo\n%%\n 100%\nthree\nfour\n");
  CHECK(names(fortunes.files, dir.path) == std::vector<std::string>{"jokes", "more"});
  CHECK(names(fortunes.skipped, dir.path) == std::vector<std::string>{"jokes.dat"});

  // The same folder as plain text keeps every line and reads subfolders.
  auto const plain = smup::io::load_text(dir.path);
  CHECK(text_of(plain.train) == jokes + "\ntext, but an index by its name\nfour\n%\nebg13\n");
}

TEST_CASE("The split sends every tenth 1024-byte block to validation", "[io][text]") {
  CHECK(TextCorpus::validation_fraction == Approx(0.1));
  auto const text = bytes_of(pseudo_text(25000, 1));
  auto const corpus = TextCorpus::split(text);
  // Blocks 9 and 19, in order (compared in place: GCC 12 misreads a vector built from them).
  REQUIRE(corpus.validation.size() == 2048);
  CHECK(std::equal(corpus.validation.begin(), corpus.validation.begin() + 1024,
                   text.begin() + 9 * 1024));
  CHECK(std::equal(corpus.validation.begin() + 1024, corpus.validation.end(),
                   text.begin() + 19 * 1024));
  CHECK(corpus.train.size() == 25000 - 2048);
  CHECK(rejoin(corpus) == text);

  // Whole multiples of ten blocks split exactly by the fraction.
  auto const whole = TextCorpus::split(bytes_of(pseudo_text(3 * 10240, 2)));
  CHECK(static_cast<double>(whole.validation.size()) ==
        static_cast<double>(whole.size()) * TextCorpus::validation_fraction);

  // A short last block follows the same rule.
  CHECK(TextCorpus::split(bytes_of(pseudo_text(9 * 1024 + 140, 3))).validation.size() == 140);
  CHECK(TextCorpus::split(bytes_of(pseudo_text(9 * 1024, 3))).validation.empty());
}

TEST_CASE("The split depends on the bytes alone, not on file names or loads", "[io][text]") {
  TempDir dir("text-split-determinism");
  auto const text = pseudo_text(50000, 4);
  auto const first = smup::io::load_text(write(dir.path / "one" / "a.txt", text));
  auto const again = smup::io::load_text(dir.path / "one" / "a.txt");
  auto const renamed = smup::io::load_text(write(dir.path / "two" / "zzz", text));
  auto const in_memory = TextCorpus::split(bytes_of(text));
  CHECK(first.train == in_memory.train);
  CHECK(first.validation == in_memory.validation);
  CHECK(again.train == first.train);
  CHECK(again.validation == first.validation);
  CHECK(renamed.train == first.train);
  CHECK(renamed.validation == first.validation);
  CHECK(names(first.files, dir.path) == std::vector<std::string>{"one/a.txt"});
}

TEST_CASE("The binary rule passes UTF-8 and terminal text and catches NUL and non-text bytes",
          "[io][text]") {
  using smup::io::looks_binary;
  CHECK_FALSE(looks_binary({}));
  CHECK_FALSE(looks_binary(bytes_of("plain ASCII\n\ttabs\r\n\f\v")));
  CHECK_FALSE(
      looks_binary(bytes_of("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\n")));
  CHECK_FALSE(
      looks_binary(bytes_of("some _\bu_\bn_\bd_\be_\br_\bl_\bi_\bn_\be overstriking, "
                            "a bell \a and other words, as old manual pages and fortunes have\n")));
  CHECK_FALSE(looks_binary(bytes_of("Le caf\xe9 est servi avec du lait, la cr\xe8me br\xfbl\xe9"
                                    "e.\n")));
  CHECK(looks_binary(bytes_of("text\0text"s)));

  // The threshold: more than 1 suspect byte in 10.
  auto const with = [](std::size_t text, std::string const& suspect) {
    return bytes_of(std::string(text, 'a') + suspect);
  };
  CHECK_FALSE(looks_binary(with(90, std::string(10, '\x01'))));
  CHECK(looks_binary(with(89, std::string(11, '\x01'))));
  CHECK_FALSE(looks_binary(with(90, std::string(10, '\x7f'))));
  CHECK(looks_binary(with(89, std::string(11, '\x7f'))));
  CHECK_FALSE(looks_binary(with(90, std::string(10, '\xff'))));
  CHECK(looks_binary(with(89, std::string(11, '\xff'))));
  // Ill-formed UTF-8 counts every byte: overlong, surrogate, above U+10FFFF, truncated.
  CHECK_FALSE(looks_binary(with(18, "\xc0\xaf")));
  CHECK(looks_binary(with(17, "\xc0\xaf")));
  CHECK_FALSE(looks_binary(with(27, "\xed\xa0\x80")));
  CHECK(looks_binary(with(26, "\xed\xa0\x80")));
  CHECK(looks_binary(with(35, "\xf4\x90\x80\x80")));
  CHECK(looks_binary(with(17, "\xe2\x82")));

  std::vector<std::uint8_t> noise(4096); // random bytes without a single NUL
  for (std::size_t i = 0; i < noise.size(); ++i)
    noise[i] = static_cast<std::uint8_t>(1 + smup::detail::counter_hash(5, i, 0) % 255);
  CHECK(looks_binary(noise));
}

TEST_CASE("A missing path is an error naming it", "[io][text]") {
  CHECK_THROWS_WITH(smup::io::load_text("/nonexistent/smup-corpus"),
                    Catch::Contains("smup::io::load_text: '/nonexistent/smup-corpus'") &&
                        Catch::Contains("no such file or directory. Check the path."));
  CHECK_THROWS_WITH(smup::io::load_fortunes("/nonexistent/fortunes"),
                    Catch::Contains("smup::io::load_fortunes: '/nonexistent/fortunes'") &&
                        Catch::Contains("apt-get install fortunes"));
}

TEST_CASE("A folder without plain-text files is an error naming it", "[io][text]") {
  TempDir dir("text-no-text-files");
  fs::create_directories(dir.path / "empty");
  CHECK_THROWS_WITH(smup::io::load_text(dir.path / "empty"),
                    Catch::Contains((dir.path / "empty").string()) &&
                        Catch::Contains("the folder holds no plain-text files. Pass a folder") &&
                        !Catch::Contains("skipped"));
  write(dir.path / "binary" / "x.bin", "\x01\x02\x03"s);
  CHECK_THROWS_WITH(smup::io::load_text(dir.path / "binary"),
                    Catch::Contains((dir.path / "binary").string()) &&
                        Catch::Contains("no plain-text files (1 skipped as binary)"));
  write(dir.path / "index" / "jokes.dat", "an index by its name\n");
  CHECK_THROWS_WITH(smup::io::load_fortunes(dir.path / "index"),
                    Catch::Contains((dir.path / "index").string()) &&
                        Catch::Contains("(1 skipped as binary or as .dat indices)"));
}

TEST_CASE("Empty text is an error naming the path, also once separators are removed",
          "[io][text]") {
  TempDir dir("text-empty");
  auto const empty = write(dir.path / "empty.txt", "");
  CHECK_THROWS_WITH(smup::io::load_text(empty),
                    Catch::Contains("'" + empty.string() + "': the text is empty. Pass a file"));
  write(dir.path / "folder" / "a", "");
  write(dir.path / "folder" / "b", "");
  CHECK_THROWS_WITH(smup::io::load_text(dir.path / "folder"),
                    Catch::Contains((dir.path / "folder").string()) &&
                        Catch::Contains("the text is empty."));
  auto const only_separators = write(dir.path / "separators", "%\n%\r\n%");
  CHECK(text_of(smup::io::load_text(only_separators).train) == "%\n%\r\n%\n");
  CHECK_THROWS_WITH(
      smup::io::load_fortunes(only_separators),
      Catch::Contains(only_separators.string()) &&
          Catch::Contains("the text is empty once the lines holding only % are removed"));
}

TEST_CASE("A binary file given directly is an error naming it", "[io][text]") {
  TempDir dir("text-binary");
  auto const nul = write(dir.path / "nul.bin", "ab\0cd"s);
  CHECK_THROWS_WITH(smup::io::load_text(nul),
                    Catch::Contains("'" + nul.string() + "' looks binary") &&
                        Catch::Contains("it holds a NUL byte at offset 2") &&
                        Catch::Contains("inside a folder, binary files are skipped"));
  auto const high = write(dir.path / "high.bin", std::string(20, '\xff'));
  CHECK_THROWS_WITH(smup::io::load_fortunes(high),
                    Catch::Contains("smup::io::load_fortunes: '" + high.string()) &&
                        Catch::Contains("20 of its 20 bytes (more than 1 in 10) are neither "
                                        "printable ASCII, whitespace nor UTF-8"));
}

TEST_CASE("A path that is neither a file nor a folder is an error naming it", "[io][text]") {
  TempDir dir("text-fifo");
  auto const fifo = dir.path / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(smup::io::load_text(fifo), Catch::Contains("'" + fifo.string() +
                                                               "' is neither a regular file nor a "
                                                               "folder"));
  // Inside a folder it is simply not a text file.
  write(dir.path / "a.txt", "text\n");
  CHECK(names(smup::io::load_text(dir.path).files, dir.path) == std::vector<std::string>{"a.txt"});
}

TEST_CASE("A file or folder that cannot be read is an error naming it", "[io][text]") {
  // Reading address 0 of a process's memory fails with EIO, even for root.
  if (fs::is_regular_file("/proc/self/mem"))
    CHECK_THROWS_WITH(smup::io::load_text("/proc/self/mem"),
                      Catch::Contains("smup::io::load_text: '/proc/self/mem' cannot be read (") &&
                          Catch::Contains("Check that the file is readable."));

  TempDir dir("text-unreadable");
  auto const locked = write(dir.path / "files" / "locked.txt", "secret\n");
  fs::permissions(locked, fs::perms::none);
  fs::create_directories(dir.path / "folders" / "locked");
  fs::permissions(dir.path / "folders" / "locked", fs::perms::none);
  if (std::ifstream(locked).is_open()) {
    WARN("permissions do not stop this user (root?); the permission errors go unchecked here");
  } else {
    CHECK_THROWS_WITH(smup::io::load_text(dir.path / "files"),
                      Catch::Contains("'" + locked.string() + "' cannot be read (") &&
                          Catch::Contains("Check that the file is readable."));
    CHECK_THROWS_WITH(smup::io::load_text(dir.path / "folders"),
                      Catch::Contains("'" + (dir.path / "folders").string() +
                                      "': its contents cannot be listed (") &&
                          Catch::Contains("Check the folder's permissions."));
  }
  // Let the scratch folder be removed.
  fs::permissions(dir.path / "folders" / "locked", fs::perms::owner_all);
}

TEST_CASE("Training batches are windows of the part with targets one byte further on",
          "[io][text][batches]") {
  auto const corpus = TextCorpus::split(bytes_of(pseudo_text(30000, 6)));
  std::int64_t const batch = 4, context = 16;
  smup::io::TextBatches<> batches(corpus, TextPart::train, batch, context, 7);
  CHECK(batches.batch_size() == batch);
  CHECK(batches.context() == context);
  for (std::int64_t step : {0, 1, 99}) {
    auto const [tokens, targets] = batches.batch(step);
    REQUIRE(tokens.extent(0) == static_cast<std::size_t>(batch * context));
    REQUIRE(targets.extent(0) == static_cast<std::size_t>(batch * context));
    auto const x = values(tokens), y = values(targets);
    for (std::size_t b = 0; b < static_cast<std::size_t>(batch); ++b) {
      CHECK(is_window_of(corpus.train, x, y, b, context));
      for (std::size_t t = 0; t + 1 < static_cast<std::size_t>(context); ++t)
        CHECK(x[b * context + t + 1] == y[b * context + t]);
    }
  }
}

TEST_CASE("batch of a step is a pure function of the seed and the step", "[io][text][batches]") {
  auto const corpus = TextCorpus::split(bytes_of(pseudo_text(20000, 8)));
  smup::io::TextBatches<> a(corpus, TextPart::train, 3, 8, 11);
  smup::io::TextBatches<> b(corpus, TextPart::train, 3, 8, 11);
  smup::io::TextBatches<> other(corpus, TextPart::train, 3, 8, 12);
  std::vector<std::int64_t> const steps{0, 1, 5, 1000};
  std::vector<std::vector<int>> first;
  for (auto step : steps) first.push_back(values(a.batch(step).tokens));
  for (std::size_t i = steps.size(); i-- > 0;) { // another object, the other way round
    CHECK(values(b.batch(steps[i]).tokens) == first[i]);
    CHECK(values(other.batch(steps[i]).tokens) != first[i]);
  }
  CHECK(first[0] != first[1]);
  CHECK(values(a.batch(1).targets) == values(b.batch(1).targets));
#ifdef KOKKOS_ENABLE_SERIAL
  smup::io::TextBatches<Kokkos::Serial> serial(corpus, TextPart::train, 3, 8, 11);
  CHECK(values(serial.batch(5).tokens) == first[2]);
#endif
}

TEST_CASE("Evaluation batches walk the part in consecutive windows whatever the seed or batch",
          "[io][text][batches]") {
  auto const corpus = TextCorpus::split(bytes_of(pseudo_text(2 * 10240 + 500, 9)));
  auto const& part = corpus.validation;
  REQUIRE(part.size() == 2048);
  std::int64_t const context = 10;
  auto const walk = [&](std::int64_t batch, std::uint64_t seed) {
    smup::io::TextBatches<> batches(corpus, TextPart::validation, batch, context, seed);
    CHECK(batches.eval_sequences() == 204); // (2048 - 1) / 10 whole windows
    CHECK(batches.eval_batches() == (204 + batch - 1) / batch);
    std::vector<int> x, y;
    for (std::int64_t i = 0; i < batches.eval_batches(); ++i) {
      auto const [tokens, targets] = batches.eval_batch(i);
      auto const expected = std::min<std::int64_t>(batch, 204 - i * batch) * context;
      CHECK(static_cast<std::int64_t>(tokens.extent(0)) == expected);
      auto const tx = values(tokens), ty = values(targets);
      x.insert(x.end(), tx.begin(), tx.end());
      y.insert(y.end(), ty.begin(), ty.end());
    }
    return std::pair{x, y};
  };
  auto const [x, y] = walk(64, 1);
  CHECK(x == std::vector<int>(part.begin(), part.begin() + 2040));
  CHECK(y == std::vector<int>(part.begin() + 1, part.begin() + 2041));
  CHECK(walk(64, 2) == std::pair{x, y});
  CHECK(walk(1, 1) == std::pair{x, y});
  CHECK(walk(204, 3) == std::pair{x, y});
}

TEST_CASE("TextBatches rejects empty batches, contexts the part cannot fill and unknown batches",
          "[io][text][batches]") {
  auto const corpus = TextCorpus::split(bytes_of(pseudo_text(9 * 1024 + 20, 10)));
  REQUIRE(corpus.validation.size() == 20);
  using Batches = smup::io::TextBatches<>;
  CHECK_THROWS_WITH(Batches(corpus, TextPart::train, 0, 8),
                    Catch::Contains("smup::io::TextBatches: batch_size must be at least 1 (got "
                                    "0)."));
  CHECK_THROWS_WITH(Batches(corpus, TextPart::train, 2, 0),
                    Catch::Contains("smup::io::TextBatches: context must be at least 1 (got 0)."));
  CHECK_THROWS_WITH(Batches(corpus, TextPart::validation, 2, 20),
                    Catch::Contains("the validation part holds 20 bytes, fewer than the 21 that "
                                    "one window of context 20 and its targets need"));
  CHECK_THROWS_WITH(Batches(TextCorpus{}, TextPart::train, 1, 1),
                    Catch::Contains("the training part holds 0 bytes, fewer than the 2"));
  Batches fits(corpus, TextPart::validation, 2, 19); // exactly one window
  CHECK(fits.eval_batches() == 1);
  CHECK(values(fits.batch(3).tokens).size() == 38);
  CHECK_THROWS_WITH(fits.eval_batch(1),
                    Catch::Contains("smup::io::TextBatches: evaluation batch 1 is outside the 1 "
                                    "of this part. Pass 0 to eval_batches() - 1."));
  CHECK_THROWS_WITH(fits.eval_batch(-1), Catch::Contains("evaluation batch -1 is outside"));
  CHECK_THROWS_WITH(fits.batch(-1), Catch::Contains("smup::io::TextBatches: step -1 is "
                                                    "negative. Steps count from 0."));
}

TEST_CASE("Debian's fortunes load with a sane size and no separator lines",
          "[io][text][fortunes]") {
  // cookie belongs to the full fortunes package (fortunes-min holds only one collection).
  if (!fs::exists(fs::path(smup::io::default_fortunes_dir) / "cookie")) {
    // CTest reports the test as skipped, not passed (SKIP_REGULAR_EXPRESSION).
    WARN("smup-test-skipped: Debian's fortunes package is not installed; nothing to read");
    return;
  }
  auto const corpus = smup::io::load_fortunes();
  // About 2.5 MB in Debian 12's fortunes; a conservative floor.
  CHECK(corpus.size() >= 1'000'000);
  CHECK(corpus.files.size() >= 20);
  for (auto const& f : corpus.files) {
    CHECK(f.extension().string() != ".dat");
    CHECK(f.extension().string() != ".u8"); // links to a collection read under its own name
  }
  for (auto const& f : corpus.skipped) CHECK(f.extension().string() == ".dat");
  CHECK(std::abs(static_cast<double>(corpus.validation.size()) -
                 static_cast<double>(corpus.size()) * TextCorpus::validation_fraction) <= 1024);
  auto const text = text_of(rejoin(corpus));
  std::size_t separators = 0;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto const line = std::string_view(text).substr(start, end - start);
    if (line == "%" || line == "%\r") ++separators;
    start = end + 1;
  }
  CHECK(separators == 0);
}

TEST_CASE("parse_text reads bytes in memory as load_text reads a file", "[io][text]") {
  TempDir dir("text-parse");
  auto const text = pseudo_text(12000, 5) + "no newline at the end";
  auto const parsed = smup::io::parse_text(bytes_of(text), "sample");
  auto const loaded = smup::io::load_text(write(dir.path / "sample.txt", text));
  CHECK(parsed.train == loaded.train);
  CHECK(parsed.validation == loaded.validation);
  CHECK(parsed.files.empty());
  CHECK_THROWS_WITH(smup::io::parse_text(bytes_of("a\0b"s), "nul"),
                    Catch::Contains("smup::io::parse_text: 'nul' looks binary"));
  CHECK_THROWS_WITH(smup::io::parse_text({}, "nothing"),
                    Catch::Contains("'nothing': the text is empty"));
}
