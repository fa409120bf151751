// Faults a long sweep meets, injected one at a time: a second writer on the same file, a
// writer killed with kill -9, a row cut short by a crash, a damaged row, and writes that
// fail (a file size limit, which fails a write as a full disk does, even for root).
#include "catch.hpp"
#include "error_text.hpp"
#include "temp_dir.hpp"

#include <smup/core/error.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/sweep.hpp>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

using smup_test::error_text;
using smup_test::slurp;
using smup_test::TempDir;

void put(fs::path const& p, std::string const& text) { std::ofstream(p, std::ios::binary) << text; }

bool contains(std::string const& text, std::string const& part) {
  return text.find(part) != std::string::npos;
}

/// A path as messages quote it: 'path'. (Built by append: gcc 12 at -O3 warns wrongly on
/// "'" + path.string() + "'".)
std::string quoted(fs::path const& path) {
  std::string out(1, '\'');
  out += path.string();
  out += '\'';
  return out;
}

/// What std::cerr receives while it lives.
class CerrCapture {
public:
  CerrCapture() : old_(std::cerr.rdbuf(text_.rdbuf())) {}
  ~CerrCapture() { std::cerr.rdbuf(old_); }
  CerrCapture(CerrCapture const&) = delete;
  CerrCapture& operator=(CerrCapture const&) = delete;
  [[nodiscard]] std::string text() const { return text_.str(); }

private:
  std::ostringstream text_;
  std::streambuf* old_;
};

/// While it lives, no file of this process grows past `bytes`: a write beyond fails with
/// EFBIG (SIGXFSZ ignored) as one on a full disk fails with ENOSPC, even for root.
class FileSizeLimit {
public:
  explicit FileSizeLimit(std::uintmax_t bytes) : handler_(std::signal(SIGXFSZ, SIG_IGN)) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_) == 0);
    rlimit limited = old_;
    limited.rlim_cur = static_cast<rlim_t>(bytes);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, handler_);
  }
  FileSizeLimit(FileSizeLimit const&) = delete;
  FileSizeLimit& operator=(FileSizeLimit const&) = delete;

private:
  rlimit old_{};
  void (*handler_)(int);
};

std::vector<smup::RunSpec> grid() { // 6 runs
  return smup::sweep_grid({{"density", {"1", "1/4"}}}, smup::powers_of_two(-9, -7), {0});
}

smup::RunResult fake_train(smup::RunSpec const& run) {
  double const loss = 0.25 + 0.0625 * static_cast<double>(run.at("density") == "1") + run.lr;
  return {.train_loss = loss, .val_loss = loss + 0.125};
}

/// The sweep of grid() run without faults: the text its CSV holds.
std::string reference_csv(fs::path const& folder) {
  auto const csv = folder / "reference.csv";
  smup::run_sweep(grid(), {.csv = csv, .quiet = true}, fake_train);
  return slurp(csv);
}

std::vector<std::string> lines_of(std::string const& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

} // namespace

TEST_CASE("A second writer of a file in use is refused at once, naming the file",
          "[diagnostics][csv][faults]") {
  TempDir dir("faults-lock");
  auto const csv = dir.path / "transfer.csv";
  std::vector<std::string> const header{"lr", "loss"};
  {
    smup::CsvAppender first(csv, header);
    first.append({"0.1", "1"});
    auto const message = error_text([&] { smup::CsvAppender second(csv, header); });
    CHECK(contains(message, "smup::CsvAppender: '" + csv.string() +
                                "' is in use: another process (or another CsvAppender"));
    first.append({"0.2", "2"}); // the refused writer changed nothing
    CHECK(slurp(csv) == "lr,loss\n0.1,1\n0.2,2\n");
  }
  {
    // A sweep on a file in use stops before training anything.
    auto const sweep_csv = dir.path / "sweep.csv";
    smup::CsvAppender holder(
        sweep_csv, {"density", "lr", "seed", "train_loss", "val_loss", "val_acc", "diverged"});
    int trained = 0;
    auto const message = error_text([&] {
      smup::run_sweep(grid(), {.csv = sweep_csv, .quiet = true}, [&](smup::RunSpec const& run) {
        ++trained;
        return fake_train(run);
      });
    });
    CHECK(trained == 0);
    CHECK(contains(message, quoted(sweep_csv) + " is in use: another process"));
  }
  // Released with its holder.
  smup::CsvAppender again(csv, header);
  CHECK(again.existing_rows().size() == 2);

  // The shards of one sweep write different files of one folder at once: no conflict.
  smup::CsvAppender shard1(dir.path / "transfer.shard-1-of-2.csv", header);
  smup::CsvAppender shard2(dir.path / "transfer.shard-2-of-2.csv", header);
  shard1.append({"0.1", "1"});
  shard2.append({"0.2", "2"});
  CHECK(smup::read_csv(dir.path / "transfer.shard-2-of-2.csv").rows.size() == 1);
}

TEST_CASE("A writer killed with kill -9 leaves its rows and no lock behind",
          "[diagnostics][csv][faults]") {
  TempDir dir("faults-kill");
  auto const csv = dir.path / "transfer.csv";
  std::vector<std::string> const header{"lr", "loss"};
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t const child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) { // holds the file, appends a row, says so, and waits to be killed
    try {
      smup::CsvAppender writer(csv, header);
      writer.append({"0.1", "1"});
      (void)!::write(ready[1], "x", 1);
      for (;;) ::pause();
    } catch (...) {
    }
    ::_exit(1);
  }
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);

  CHECK(contains(error_text([&] { smup::CsvAppender second(csv, header); }),
                 quoted(csv) + " is in use: another process"));
  REQUIRE(::kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));

  smup::CsvAppender after(csv, header); // the lock died with its holder
  CHECK(after.existing_rows() == std::vector<std::vector<std::string>>{{"0.1", "1"}});
}

TEST_CASE("A row cut short is dropped with a message naming the file, and its run done again",
          "[diagnostics][sweep][faults]") {
  TempDir dir("faults-partial");
  auto const reference = reference_csv(dir.path);
  auto const csv = dir.path / "transfer.csv";
  auto const lines = lines_of(reference);
  REQUIRE(lines.size() == 7);
  for (std::size_t cut : {std::size_t{1}, lines[6].size() / 2, lines[6].size()}) {
    INFO("the last row keeps " << cut << " of its " << lines[6].size() << " characters");
    // As a crash leaves it: the last row's start, without its newline.
    put(csv, reference.substr(0, reference.size() - lines[6].size() - 1 + cut));
    std::vector<std::string> trained;
    CerrCapture err;
    auto const report =
        smup::run_sweep(grid(), {.csv = csv, .quiet = true}, [&](smup::RunSpec const& run) {
          trained.push_back(run.describe());
          return fake_train(run);
        });
    CHECK(trained == std::vector<std::string>{grid().back().describe()});
    CHECK(report.skipped == 5);
    CHECK(contains(err.text(), "dropped the unfinished last line of '" + csv.string() +
                                   "' (line 7, no newline"));
    CHECK(slurp(csv) == reference); // the new row starts on a line of its own
  }
  // A file of another layout is refused as it is: its cut-short line is not ours to drop.
  put(csv, "lr,loss\n0.1,1\n0.2,0.");
  auto const refused = error_text([&] { smup::CsvAppender other(csv, {"a", "b"}); });
  CHECK(contains(refused, "has the header 'lr,loss'"));
  CHECK(slurp(csv) == "lr,loss\n0.1,1\n0.2,0.");
}

TEST_CASE("A complete row that does not read back is an error naming file and line, never "
          "skipped",
          "[diagnostics][sweep][faults]") {
  TempDir dir("faults-malformed");
  auto const reference = reference_csv(dir.path);
  auto const csv = dir.path / "transfer.csv";
  auto lines = lines_of(reference);
  auto const with_line_3 = [&](std::string const& line) {
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i) text += (i == 2 ? line : lines[i]) + "\n";
    return text;
  };
  struct Damage {
    std::string line, message;
  };
  // Line 3 of the header "density,lr,seed,train_loss,val_loss,val_acc,diverged".
  std::vector<Damage> const damages{
      {"1,0.00390625,0,0.3164,0.44x,,0", "line 3 has '0.44x' in column 'val_loss'"},
      {"1,0.00390625,x,0.3164,0.44,,0", "line 3 has 'x' in column 'seed'"},
      {"1,0.00390625,0,0.3164,0.44,,yes", "line 3 has 'yes' in column 'diverged'"},
      {"1,0.00390625,0,0.3164", "line 3 has 4 fields but the header has 7"}};
  for (auto const& damage : damages) {
    INFO(damage.line);
    put(csv, with_line_3(damage.line));
    int trained = 0;
    auto const message = error_text([&] {
      smup::run_sweep(grid(), {.csv = csv, .quiet = true}, [&](smup::RunSpec const& run) {
        ++trained;
        return fake_train(run);
      });
    });
    CHECK(contains(message, quoted(csv)));
    CHECK(contains(message, damage.message));
    CHECK(trained == 0);
    CHECK(slurp(csv) == with_line_3(damage.line)); // left for a person to look at
    CHECK(contains(error_text([&] { (void)smup::read_sweep_results(csv); }), damage.message));
    CHECK(
        contains(error_text([&] { (void)smup::read_sweep_results_merged(csv); }), damage.message));
  }
}

TEST_CASE("An append that fails names the file and leaves only whole rows",
          "[diagnostics][csv][faults]") {
  TempDir dir("faults-append-fails");
  auto const csv = dir.path / "runs.csv";
  smup::CsvAppender log(csv, {"lr", "loss"});
  log.append({"0.1", "1"});
  auto const before = slurp(csv);
  std::string message;
  {
    FileSizeLimit const limit(before.size() + 5); // room for part of the next row only
    message = error_text([&] { log.append({"0.2", "0.123456789"}); });
  }
  CHECK(contains(message, "smup::CsvAppender: cannot append to '" + csv.string() +
                              "': writing failed (File too large)"));
  CHECK(contains(message, "This row is not recorded; the rows before it are kept."));
  CHECK(slurp(csv) == before); // the part that was written is gone again
  log.append({"0.3", "3"});    // and the next row is a line of its own
  CHECK(slurp(csv) == before + "0.3,3\n");

  // A path whose folder is a regular file cannot be opened at all.
  put(dir.path / "plain", "x");
  auto const blocked = dir.path / "plain" / "runs.csv";
  auto const open_message = error_text([&] { smup::CsvAppender bad(blocked, {"lr"}); });
  CHECK(contains(open_message, "cannot open '" + blocked.string() + "' for appending (Not a"));
}

TEST_CASE("A whole file written where it cannot grow fails naming it, keeping the old one",
          "[diagnostics][csv][faults]") {
  TempDir dir("faults-write-fails");
  auto const csv = dir.path / "table.csv";
  smup::write_csv(csv, {"a"}, {{"1"}});
  std::string message;
  {
    FileSizeLimit const limit(8);
    message = error_text([&] { smup::write_csv(csv, {"a"}, {{"123456789"}, {"2"}}); });
  }
  CHECK(contains(message, "smup::write_csv: cannot write '" + csv.string() +
                              "': writing failed (File too "
                              "large)"));
  CHECK(slurp(csv) == "a\n1\n");
  std::size_t files = 0;
  for (auto const& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
  CHECK(files == 1); // no temporary left behind
  put(dir.path / "plain", "x");
  CHECK(contains(error_text([&] { smup::write_csv(dir.path / "plain" / "t.csv", {"a"}, {}); }),
                 "cannot write '" + (dir.path / "plain" / "t.csv").string() + "'"));
}

TEST_CASE("A sweep whose row cannot be written stops, naming the file and giving the row",
          "[diagnostics][sweep][faults]") {
  TempDir dir("faults-sweep-append-fails");
  auto const reference = reference_csv(dir.path);
  auto const csv = dir.path / "transfer.csv";
  auto const runs = grid();
  std::optional<FileSizeLimit> limit;
  int started = 0;
  auto const message = error_text([&] {
    smup::run_sweep(runs, {.csv = csv, .quiet = true}, [&](smup::RunSpec const& run) {
      if (++started == 3) limit.emplace(fs::file_size(csv) + 5); // the disk fills up
      return fake_train(run);
    });
  });
  limit.reset();
  CHECK(contains(message, "smup::run_sweep: the result of " + runs[2].describe() +
                              " could not be recorded."));
  CHECK(contains(message, "cannot append to '" + csv.string() + "'"));
  CHECK(contains(message, "Its row would have read: " + lines_of(reference)[3] + " ."));
  CHECK(smup::read_csv(csv).rows.size() == 2);

  std::vector<std::string> trained;
  smup::run_sweep(runs, {.csv = csv, .quiet = true}, [&](smup::RunSpec const& run) {
    trained.push_back(run.describe());
    return fake_train(run);
  });
  CHECK(trained.size() == 4);
  CHECK(trained.front() == runs[2].describe());
  CHECK(slurp(csv) == reference);
}
