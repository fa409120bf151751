// The CSV reader that resuming a sweep relies on (smup/diagnostics/csv.hpp and sweep.hpp's
// reading of results) on arbitrary text. In memory: every record the parser finds reads
// back the same once csv_line writes it. Through a file, as a resumed sweep meets one:
// read_csv, read_sweep_results, read_sweep_results_merged with a grid, and a CsvAppender
// opening it; each either throws smup::error or agrees with the others.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <smup/core/error.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/sweep.hpp>

#include "fuzz_check.hpp"

namespace {

std::vector<std::string> const sweep_header{"parameterization", "width",    "lr",      "seed",
                                            "train_loss",       "val_loss", "val_acc", "diverged"};

/// A folder of this process's own, removed at exit; in memory (/dev/shm) where there is
/// one, since every CsvAppender fsyncs.
std::filesystem::path const& scratch() {
  static std::filesystem::path const dir = [] {
    std::error_code ec;
    auto const base = std::filesystem::is_directory("/dev/shm", ec)
                          ? std::filesystem::path("/dev/shm")
                          : std::filesystem::temp_directory_path();
    auto d = base / ("smup-fuzz-csv-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch(), ec);
    });
    return d;
  }();
  return dir;
}

void in_memory(std::string_view text) {
  auto const parsed = smup::detail::parse_csv(text);
  SMUP_FUZZ_CHECK(parsed.terminated_end <= text.size());
  SMUP_FUZZ_CHECK(!parsed.open_quote || parsed.last_unterminated);
  for (auto const& record : parsed.records) {
    auto const again = smup::detail::parse_csv(smup::csv_line(record.fields));
    SMUP_FUZZ_CHECK(again.records.size() == 1 && !again.last_unterminated);
    SMUP_FUZZ_CHECK(again.records.front().fields == record.fields);
  }
}

void through_a_file(std::string_view text) {
  auto const csv = scratch() / "transfer.csv";
  {
    std::ofstream out(csv, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  try {
    auto const table = smup::read_csv(csv);
    for (auto const& row : table.rows) SMUP_FUZZ_CHECK(row.size() == table.header.size());
  } catch (smup::error const&) {
  }
  try {
    (void)smup::read_sweep_results(csv);
  } catch (smup::error const&) {
  }
  try {
    std::vector<smup::RunSpec> const grid{
        {.key = {{"parameterization", "SmuP"}, {"width", "64"}}, .lr = 0x1p-8, .seed = 0},
        {.key = {{"parameterization", "SP"}, {"width", "64"}}, .lr = 0x1p-7, .seed = 1}};
    (void)smup::read_sweep_results_merged(csv, grid);
    (void)smup::sweep_progress(grid, csv);
  } catch (smup::error const&) {
  }
  try {
    // Opening drops an unfinished last line and checks the header: what it keeps is what
    // the file then holds.
    smup::CsvAppender const appender(csv, sweep_header);
    auto const table = smup::read_csv(csv);
    SMUP_FUZZ_CHECK(table.header == sweep_header);
    SMUP_FUZZ_CHECK(table.rows == appender.existing_rows());
  } catch (smup::error const&) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const text(reinterpret_cast<char const*>(data), size);
  in_memory(text);
  through_a_file(text);
  return 0;
}
