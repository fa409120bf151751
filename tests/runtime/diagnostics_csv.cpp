// CSV writer and reader: quoting round-trips, appends check the header, and a crash can
// never leave a corrupt row behind.
#include "catch.hpp"
#include "error_text.hpp"
#include "temp_dir.hpp"

#include <smup/core/error.hpp>
#include <smup/diagnostics/csv.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using smup_test::TempDir;

using smup_test::slurp;

void put(fs::path const& p, std::string const& text) { std::ofstream(p, std::ios::binary) << text; }

using smup_test::error_text;

bool contains(std::string const& text, std::string const& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("A field is quoted only when it holds a comma, quote, line break or edge space",
          "[diagnostics][csv]") {
  CHECK(smup::csv_line({"plain", "1/16", "0.25", ""}) == "plain,1/16,0.25,\n");
  CHECK(smup::csv_line({"a,b"}) == "\"a,b\"\n");
  CHECK(smup::csv_line({"say \"hi\""}) == "\"say \"\"hi\"\"\"\n");
  CHECK(smup::csv_line({"two\nlines", " padded"}) == "\"two\nlines\",\" padded\"\n");
}

TEST_CASE("Awkward fields survive a write and a read unchanged", "[diagnostics][csv]") {
  TempDir dir("csv-roundtrip");
  auto const file = dir.path / "sub" / "table.csv"; // the missing folder is created
  std::vector<std::string> const header{"name", "note", "value"};
  std::vector<std::vector<std::string>> const rows{
      {"SμP", "comma, inside", "0.5"},
      {"quote \"q\"", "line\nbreak", ""},
      {" lead", "trail ", "nan"},
      {"", "\"\"", "-inf"},
  };
  smup::write_csv(file, header, rows);
  auto const table = smup::read_csv(file);
  CHECK(table.header == header);
  CHECK(table.rows == rows);
  CHECK(table.column("value") == 2);
  CHECK(contains(error_text([&] { (void)table.column("missing"); }), "missing"));
  // Plain fields are written bare.
  CHECK(slurp(file).starts_with("name,note,value\nSμP,\"comma, inside\",0.5\n"));
}

TEST_CASE("Writing a file replaces it whole and leaves no temporary beside it",
          "[diagnostics][csv]") {
  TempDir dir("csv-replace");
  auto const file = dir.path / "t.csv";
  smup::write_csv(file, {"a"}, {{"1"}, {"2"}});
  smup::write_csv(file, {"a"}, {{"3"}});
  CHECK(slurp(file) == "a\n3\n");
  std::size_t entries = 0;
  for (auto const& e : fs::directory_iterator(dir.path)) entries += e.is_regular_file();
  CHECK(entries == 1);
  CHECK(contains(error_text([&] { smup::write_csv(file, {"a", "b"}, {{"1"}}); }), "row 0"));
  CHECK(slurp(file) == "a\n3\n"); // a rejected write leaves the old file alone
}

TEST_CASE("Reading accepts CRLF line ends, blank lines and a missing final newline",
          "[diagnostics][csv]") {
  TempDir dir("csv-crlf");
  auto const file = dir.path / "t.csv";
  put(file, "a,b\r\n1,\"x\r\ny\"\r\n\r\n2,3");
  auto const table = smup::read_csv(file);
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0] == std::vector<std::string>{"1", "x\r\ny"});
  CHECK(table.rows[1] == std::vector<std::string>{"2", "3"});
}

TEST_CASE("Reading a missing, empty, unterminated or ragged file is an error naming it",
          "[diagnostics][csv]") {
  TempDir dir("csv-bad-read");
  auto const missing = dir.path / "missing.csv";
  CHECK(contains(error_text([&] { (void)smup::read_csv(missing); }), missing.string()));
  auto const empty = dir.path / "empty.csv";
  put(empty, "");
  CHECK(contains(error_text([&] { (void)smup::read_csv(empty); }), "is empty"));
  auto const open_quote = dir.path / "open.csv";
  put(open_quote, "a,b\n1,\"never closed\n");
  auto const open_message = error_text([&] { (void)smup::read_csv(open_quote); });
  CHECK(contains(open_message, open_quote.string()));
  CHECK(contains(open_message, "quoted field"));
  auto const ragged = dir.path / "ragged.csv";
  put(ragged, "a,b\n1,2\n3\n");
  auto const ragged_message = error_text([&] { (void)smup::read_csv(ragged); });
  CHECK(contains(ragged_message, ragged.string()));
  CHECK(contains(ragged_message, "line 3 has 1 fields"));
}

TEST_CASE("An appender creates the file with its header and keeps the rows found there",
          "[diagnostics][csv]") {
  TempDir dir("csv-append");
  auto const file = dir.path / "new" / "runs.csv";
  {
    smup::CsvAppender log(file, {"lr", "loss"});
    CHECK(log.existing_rows().empty());
    log.append({"0.001", "0.5"});
    log.append({"0.002", "0,4"});
    CHECK(slurp(file) == "lr,loss\n0.001,0.5\n0.002,\"0,4\"\n"); // on disk at once
  }
  smup::CsvAppender again(file, {"lr", "loss"});
  CHECK(again.existing_rows() ==
        std::vector<std::vector<std::string>>{{"0.001", "0.5"}, {"0.002", "0,4"}});
  again.append({"0.004", "0.3"});
  CHECK(smup::read_csv(file).rows.size() == 3);
  CHECK(contains(error_text([&] { again.append({"only one"}); }), "has 1 fields"));
}

TEST_CASE("Appending to a file with another header is an error naming the file",
          "[diagnostics][csv]") {
  TempDir dir("csv-header");
  auto const file = dir.path / "runs.csv";
  smup::write_csv(file, {"lr", "loss"}, {{"0.1", "1"}});
  auto const message = error_text([&] { smup::CsvAppender log(file, {"lr", "loss", "seed"}); });
  CHECK(contains(message, "smup::CsvAppender: '" + file.string() + "'"));
  CHECK(contains(message, "'lr,loss'"));
  CHECK(contains(message, "'lr,loss,seed'"));
  CHECK(slurp(file) == "lr,loss\n0.1,1\n"); // untouched
}

TEST_CASE("An unfinished last line from an interrupted append is dropped on reopening",
          "[diagnostics][csv]") {
  TempDir dir("csv-partial");
  auto const file = dir.path / "runs.csv";
  put(file, "lr,loss\n0.1,1\n0.2,0.");
  {
    smup::CsvAppender log(file, {"lr", "loss"});
    CHECK(log.existing_rows() == std::vector<std::vector<std::string>>{{"0.1", "1"}});
    log.append({"0.2", "0.75"});
  }
  CHECK(slurp(file) == "lr,loss\n0.1,1\n0.2,0.75\n");

  put(file, "lr,loss\n0.1,\"cut inside a quote");
  {
    smup::CsvAppender log(file, {"lr", "loss"});
    CHECK(log.existing_rows().empty());
    CHECK(slurp(file) == "lr,loss\n");
  } // one writer at a time: while this one is open, another would be refused

  put(file, "lr,lo"); // even the header was cut short: start afresh
  smup::CsvAppender fresh(file, {"lr", "loss"});
  CHECK(slurp(file) == "lr,loss\n");
}
