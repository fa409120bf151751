#pragma once
/// A small CSV writer and reader (RFC 4180 quoting) for results that must survive a crash.
///
///     smup::write_csv("table.csv", {"width", "loss"}, {{"128", "0.41"}, {"256", "0.39"}});
///     smup::CsvAppender log("runs.csv", {"width", "loss"});  // creates it, or checks its header
///     log.append({"512", "0.38"});
///     smup::CsvTable t = smup::read_csv("runs.csv");         // t.header, t.rows
///
/// Two ways of writing, each safe against a crash or a full disk at any moment:
/// - write_csv builds the whole text, writes it to a temporary file beside the target and
///   renames it over the target, so a reader sees the old file or the new one, never half.
/// - CsvAppender appends one whole line per call and flushes it. A crash can at worst leave
///   the last line without its newline; the next CsvAppender on that file drops such a line
///   (it was never confirmed written), so no corrupt row is ever read back as data.
///
/// Fields are quoted only when they need it (a comma, quote, line break, or space at either
/// end). Blank lines are skipped when reading.

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <smup/core/error.hpp>

namespace smup {

/// A CSV file in memory: the first line and the rows below it, all as text.
///
///     smup::CsvTable t = smup::read_csv("runs.csv");
///     for (auto const& row : t.rows) use(row[t.column("loss")]);
struct CsvTable {
  std::vector<std::string> header{};
  std::vector<std::vector<std::string>> rows{};

  /// The index of the column named `name`; throws smup::error when there is none.
  [[nodiscard]] std::size_t column(std::string_view name) const {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    detail::fail("smup::CsvTable: no column named '" + std::string(name) +
                 "'. The header does not list it. Check the column name against the header.");
  }
};

namespace detail {

inline bool csv_needs_quotes(std::string_view field) {
  if (field.empty()) return false;
  if (field.front() == ' ' || field.back() == ' ') return true;
  return field.find_first_of(",\"\r\n") != std::string_view::npos;
}

inline void append_csv_field(std::string& out, std::string_view field) {
  if (!csv_needs_quotes(field)) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0; ///< 1-based line on which the record starts, for messages
};

/// Everything the parser learned about a text, including how it ended.
struct CsvParse {
  std::vector<CsvRecord> records; ///< complete records, newline-terminated or not
  bool last_unterminated = false; ///< the last record has no newline after it
  bool open_quote = false;        ///< the text ends inside a quoted field
  std::size_t terminated_end = 0; ///< bytes up to and including the last record's newline
};

inline CsvParse parse_csv(std::string_view text) {
  CsvParse out;
  std::vector<std::string> fields;
  std::string field;
  bool in_quotes = false;
  bool record_started = false; // distinguishes a blank line from a record of one empty field
  bool field_quoted = false;
  std::size_t line = 1;
  std::size_t record_line = 1;

  auto end_record = [&](std::size_t end) {
    fields.push_back(std::move(field));
    field.clear();
    bool const blank = fields.size() == 1 && fields[0].empty() && !field_quoted;
    if (!blank) out.records.push_back({std::move(fields), record_line});
    fields.clear();
    record_started = false;
    field_quoted = false;
    out.terminated_end = end;
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (!record_started) {
      record_started = true;
      record_line = line;
    }
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      in_quotes = true;
      field_quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      field_quoted = false;
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      if (c == '\r') ++i;
      ++line;
      end_record(i + 1);
    } else {
      field += c;
    }
  }
  if (in_quotes) {
    out.open_quote = true;
    out.last_unterminated = true;
  } else if (record_started) {
    std::size_t const before = out.terminated_end;
    end_record(text.size());
    out.terminated_end = before;
    out.last_unterminated = true;
  }
  return out;
}

inline std::string read_text_file(std::filesystem::path const& path, std::string const& entity) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(entity + ": cannot open '" + path.string() +
         "' for reading. It does not exist or is not readable. Check the path.");
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
inline void write_file_atomically(std::filesystem::path const& path, std::string_view text,
                                  std::string const& entity) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  // Unique enough that two writers of the same target never share a temporary.
  std::random_device entropy;
  fs::path temp = path;
  temp += ".tmp-" + std::to_string(entropy()) + std::to_string(entropy());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(temp, ec);
      fail(entity + ": cannot write '" + temp.string() +
           "'. The folder is missing or not writable, or the disk is full. The old '" +
           path.string() + "' is left as it was; check the folder and free space.");
    }
  }
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    fail(entity + ": cannot replace '" + path.string() + "' (" + ec.message() +
         "). The new content stays unwritten. Check the file's permissions.");
  }
}

inline std::string describe_header(std::vector<std::string> const& header) {
  std::string out;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (i) out += ',';
    append_csv_field(out, header[i]);
  }
  return out;
}

/// The records of `parse` as a table; throws naming `path` when a row is the wrong width.
inline CsvTable to_table(std::vector<CsvRecord>&& records, std::filesystem::path const& path,
                         std::string const& entity) {
  CsvTable table;
  if (records.empty()) return table;
  table.header = std::move(records.front().fields);
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].fields.size() != table.header.size())
      fail(entity + ": '" + path.string() + "' line " + std::to_string(records[r].line) + " has " +
           std::to_string(records[r].fields.size()) + " fields but the header has " +
           std::to_string(table.header.size()) +
           ". Every row must fill every column. Fix or remove that line.");
    table.rows.push_back(std::move(records[r].fields));
  }
  return table;
}

} // namespace detail

/// One CSV line for `fields`, quoted where needed, ending in '\n'.
///
///     smup::csv_line({"a,b", "c"}) == "\"a,b\",c\n"
[[nodiscard]] inline std::string csv_line(std::vector<std::string> const& fields) {
  std::string out = detail::describe_header(fields);
  out += '\n';
  return out;
}

/// Reads a CSV file: its first line becomes the header. Quoted fields may hold commas,
/// quotes and line breaks; a missing final newline is fine.
///
///     smup::CsvTable t = smup::read_csv("demo-results/transfer.csv");
///
/// Throws smup::error naming the file when it is missing, empty, ends inside a quoted
/// field, or has a row whose number of fields differs from the header's.
[[nodiscard]] inline CsvTable read_csv(std::filesystem::path const& path) {
  std::string const entity = "smup::read_csv";
  std::string const text = detail::read_text_file(path, entity);
  detail::CsvParse parse = detail::parse_csv(text);
  if (parse.open_quote)
    detail::fail(entity + ": '" + path.string() +
                 "' ends inside a quoted field. A closing quote is missing or the file was cut "
                 "short. Fix or remove its last line.");
  if (parse.records.empty())
    detail::fail(entity + ": '" + path.string() +
                 "' is empty. A CSV file starts with its header line. Write the header first.");
  return detail::to_table(std::move(parse.records), path, entity);
}

/// Writes a whole CSV file (header, then rows), replacing `path` in one step: a crash
/// leaves the old file or the new one, never a mix. Creates missing parent folders.
///
///     smup::write_csv("out/table.csv", {"width", "loss"}, {{"128", "0.41"}});
inline void write_csv(std::filesystem::path const& path, std::vector<std::string> const& header,
                      std::vector<std::vector<std::string>> const& rows) {
  std::string const entity = "smup::write_csv";
  std::string text = csv_line(header);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != header.size())
      detail::fail(entity + ": row " + std::to_string(r) + " for '" + path.string() + "' has " +
                   std::to_string(rows[r].size()) + " fields but the header has " +
                   std::to_string(header.size()) +
                   ". Every row must fill every column. Pass one value per header column.");
    text += csv_line(rows[r]);
  }
  detail::write_file_atomically(path, text, entity);
}

/// Appends rows to a CSV file one whole line at a time, flushed, so that each finished
/// row is on disk at once (for long sweeps that must be resumable).
///
///     smup::CsvAppender log("demo-results/transfer.csv", {"lr", "loss"});
///     for (auto const& row : log.existing_rows()) skip(row);  // what a former run wrote
///     log.append({"0.001", "0.42"});
///
/// Opening creates the file (and its folder) with the header line when it is missing or
/// empty. An existing file must have exactly this header, else smup::error names the file:
/// mixing two layouts in one file would corrupt both. A last line without its newline is
/// an append that was interrupted; it is dropped from the file and from existing_rows().
class CsvAppender {
public:
  CsvAppender(std::filesystem::path path, std::vector<std::string> header)
      : path_(std::move(path)), header_(std::move(header)) {
    namespace fs = std::filesystem;
    std::string const entity = "smup::CsvAppender";
    if (header_.empty())
      detail::fail(entity + ": the header for '" + path_.string() +
                   "' is empty. A CSV file needs at least one column. Pass the column names.");
    std::error_code ec;
    bool const exists = fs::exists(path_, ec);
    std::string text = exists ? detail::read_text_file(path_, entity) : std::string{};
    detail::CsvParse parse = detail::parse_csv(text);
    if (parse.last_unterminated) {
      if (!parse.open_quote) parse.records.pop_back();
      fs::resize_file(path_, parse.terminated_end, ec);
      if (ec)
        detail::fail(entity + ": cannot drop the unfinished last line of '" + path_.string() +
                     "' (" + ec.message() + "). Appending after it would corrupt a row. " +
                     "Remove that line by hand.");
    }
    if (parse.records.empty()) {
      if (path_.has_parent_path()) fs::create_directories(path_.parent_path(), ec);
      if (exists && parse.terminated_end > 0) // only blank lines: start afresh
        fs::resize_file(path_, 0, ec);
      write_line(csv_line(header_));
      return;
    }
    if (parse.records.front().fields != header_)
      detail::fail(entity + ": '" + path_.string() + "' has the header '" +
                   detail::describe_header(parse.records.front().fields) +
                   "' but this writer's header is '" + detail::describe_header(header_) +
                   "'. Appending would mix two layouts in one file. Move the old file away or "
                   "write to another file.");
    rows_ = detail::to_table(std::move(parse.records), path_, entity).rows;
  }

  /// Appends one row and flushes it; throws smup::error if it is the wrong width or the
  /// write fails (the file then holds at most an unfinished line, dropped on reopening).
  void append(std::vector<std::string> const& row) {
    if (row.size() != header_.size())
      detail::fail("smup::CsvAppender: a row for '" + path_.string() + "' has " +
                   std::to_string(row.size()) + " fields but the header has " +
                   std::to_string(header_.size()) +
                   ". Every row must fill every column. Pass one value per header column.");
    write_line(csv_line(row));
  }

  [[nodiscard]] std::filesystem::path const& path() const { return path_; }
  [[nodiscard]] std::vector<std::string> const& header() const { return header_; }
  /// The rows the file held when this appender opened it (not those appended since).
  [[nodiscard]] std::vector<std::vector<std::string>> const& existing_rows() const { return rows_; }

private:
  void write_line(std::string const& line) {
    // One write of the whole line, then a flush: the line is on disk before we return.
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    out.flush();
    if (!out)
      detail::fail("smup::CsvAppender: cannot append to '" + path_.string() +
                   "'. The folder is missing or not writable, or the disk is full. Check the "
                   "path and free space; rows written before are kept.");
  }

  std::filesystem::path path_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

} // namespace smup
