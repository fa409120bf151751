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
/// - CsvAppender appends one whole line per call and fsyncs it, holding a lock on the file
///   so that it is the only writer. A crash can at worst leave the last line without its
///   newline; the next CsvAppender on that file drops such a line (it was never confirmed
///   written) and says so on stderr, so no corrupt row is ever read back as data.
///
/// Fields are quoted only when they need it (a comma, quote, line break, or space at either
/// end). Blank lines are skipped when reading.

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/types.h>
#include <unistd.h>

#include <smup/core/error.hpp>
#include <smup/io/atomic_file.hpp>

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

/// Writes `text` to a temporary file beside `path`, fsyncs it and renames it over `path`
/// (see io/atomic_file.hpp), creating missing parent folders first. Every write, the
/// fsync and the close are checked: a full disk fails here, naming the file, and never
/// leaves a short file behind.
inline void write_file_atomically(std::filesystem::path const& path, std::string_view text,
                                  std::string const& entity) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  std::span<std::byte const> const whole(reinterpret_cast<std::byte const*>(text.data()),
                                         text.size());
  replace_file_atomically(path, std::span(&whole, 1), entity);
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
  // Unquoted, a lone empty field would make a blank line, which reading skips.
  if (fields.size() == 1 && fields.front().empty()) return "\"\"\n";
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

namespace detail {

/// Owns a file descriptor: closed when it goes, so a constructor that throws half-way
/// leaks nothing (and releases a lock taken on it).
class FileDescriptor {
public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~FileDescriptor() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  void reset() {
    // Every appended line was fsync'ed before its append returned, so close() can no
    // longer lose data: its result says nothing a caller could act on.
    if (fd_ >= 0) (void)::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

/// The whole file behind `fd`, read from its start.
inline std::string read_descriptor(int fd, std::filesystem::path const& path,
                                   std::string const& entity) {
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    ::ssize_t const n = ::pread(fd, buffer, sizeof buffer, static_cast<::off_t>(text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int const code = errno;
      fail(entity + ": cannot read '" + path.string() + "' (" + os_reason(code) + "). " +
           os_advice(code));
    }
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

} // namespace detail

/// Appends rows to a CSV file one whole line at a time, each on disk (written and fsync'ed)
/// before append returns, so that a sweep killed at any moment keeps every finished row.
///
///     smup::CsvAppender log("demo-results/transfer.csv", {"lr", "loss"});
///     for (auto const& row : log.existing_rows()) skip(row);  // what a former run wrote
///     log.append({"0.001", "0.42"});
///
/// Opening creates the file (and its folder) with the header line when it is missing or
/// empty. An existing file must have exactly this header, else smup::error names the file:
/// mixing two layouts in one file would corrupt both.
///
/// One writer per file: the appender holds an exclusive lock (flock) on the file for its
/// lifetime, and a second appender on the same file, in this process or another, fails at
/// once with smup::error saying that another writer holds it. Two writers would interleave
/// their rows and each retrain the runs the other is doing. The operating system releases
/// the lock when the holder exits, however it exits (kill -9 too), so no stale lock is
/// ever left. Where the filesystem has no locks the appender works without one.
///
/// What a crash can leave: a line is appended by one write of the whole line, so a crash
/// (or a full disk) can at worst leave the last line unfinished, without its newline. The
/// next appender drops such a line from the file and from existing_rows(), saying so on
/// stderr: it was never confirmed written, and its run is done again. A failed append
/// removes what it wrote before throwing, so the next row never continues a partial one.
class CsvAppender {
public:
  CsvAppender(std::filesystem::path path, std::vector<std::string> header)
      : path_(std::move(path)), header_(std::move(header)) {
    std::string const entity = "smup::CsvAppender";
    if (header_.empty())
      detail::fail(entity + ": the header for '" + path_.string() +
                   "' is empty. A CSV file needs at least one column. Pass the column names.");
    std::error_code ec;
    if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
    fd_ = detail::FileDescriptor(
        ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666));
    if (fd_.get() < 0) {
      int const code = errno;
      detail::fail(entity + ": cannot open '" + path_.string() + "' for appending (" +
                   detail::os_reason(code) + "). " + detail::os_advice(code));
    }
    lock(entity);

    std::string const text = detail::read_descriptor(fd_.get(), path_, entity);
    size_ = text.size();
    detail::CsvParse parse = detail::parse_csv(text);
    bool const cut_short = parse.last_unterminated;
    if (cut_short && !parse.open_quote) parse.records.pop_back();
    // A file of another layout is refused before anything in it changes.
    if (!parse.records.empty() && parse.records.front().fields != header_)
      detail::fail(entity + ": '" + path_.string() + "' has the header '" +
                   detail::describe_header(parse.records.front().fields) +
                   "' but this writer's header is '" + detail::describe_header(header_) +
                   "'. Appending would mix two layouts in one file. Move the old file away or "
                   "write to another file.");
    if (cut_short) {
      auto const end = text.begin() + static_cast<std::ptrdiff_t>(parse.terminated_end);
      auto const line = 1 + std::count(text.begin(), end, '\n'); // as an editor counts
      truncate_to(parse.terminated_end, entity, "drop the unfinished last line of");
      std::string cut = text.substr(parse.terminated_end);
      if (cut.size() > 80) cut = cut.substr(0, 77) + "...";
      for (char& c : cut)
        if (c == '\n' || c == '\r') c = ' ';
      std::cerr << entity << ": dropped the unfinished last line of '" << path_.string()
                << "' (line " << line << ", no newline: \"" << cut
                << "\"). It is a row whose writing was cut short (a crash or a full disk), "
                   "never a finished one; a sweep trains its run again.\n";
    }
    if (parse.records.empty()) {
      if (size_ > 0) truncate_to(0, entity, "empty"); // only blank lines: start afresh
      write_line(csv_line(header_));
      return;
    }
    rows_ = detail::to_table(std::move(parse.records), path_, entity).rows;
  }

  /// Appends one row and waits until it is on disk; throws smup::error naming the file if
  /// the row is the wrong width or the write, or the fsync after it, fails (disk full, file
  /// size limit, I/O error). The file then ends with the rows before it, as if this append
  /// had never begun.
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
  void lock(std::string const& entity) {
    int result = 0;
    do {
      result = ::flock(fd_.get(), LOCK_EX | LOCK_NB);
    } while (result != 0 && errno == EINTR);
    if (result == 0 || errno != EWOULDBLOCK) return; // no locks on this filesystem: go on
    detail::fail(entity + ": '" + path_.string() +
                 "' is in use: another process (or another CsvAppender in this one) holds "
                 "its lock and appends to it. Two writers would interleave their rows and "
                 "train the same runs twice. Wait for that process to end or stop it, or "
                 "write to another file (each shard of a sweep has its own).");
  }

  void truncate_to(std::size_t size, std::string const& entity, std::string const& what) {
    if (::ftruncate(fd_.get(), static_cast<::off_t>(size)) != 0) {
      int const code = errno;
      detail::fail(entity + ": cannot " + what + " '" + path_.string() + "' (" +
                   detail::os_reason(code) +
                   "). Appending after an unfinished line would corrupt a row. Remove that "
                   "line by hand.");
    }
    size_ = size;
  }

  void write_line(std::string const& line) {
    std::string const where = "smup::CsvAppender: cannot append to '" + path_.string() + "': ";
    if (broken_)
      detail::fail(where + "an earlier append failed and its partial line could not be "
                           "removed. Appending after it would glue two rows together. Open "
                           "the file again (a new CsvAppender drops that line).");
    auto const give_up = [&](char const* step, int code) {
      // Remove what this append wrote, so the file ends with whole rows again.
      broken_ = ::ftruncate(fd_.get(), static_cast<::off_t>(size_)) != 0;
      detail::fail(where + step + " failed (" + detail::os_reason(code) +
                   "). This row is not recorded; the rows before it are kept. " +
                   detail::os_advice(code));
    };
    // One write of the whole line (O_APPEND: at the end, whatever else happened), then
    // fsync: the line is on disk before we return.
    char const* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      ::ssize_t const n = ::write(fd_.get(), p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) give_up("writing", errno);
      if (n == 0) give_up("writing", ENOSPC); // no progress and no error: treat as full
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd_.get()) != 0) give_up("flushing to disk (fsync)", errno);
    size_ += line.size();
  }

  std::filesystem::path path_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  detail::FileDescriptor fd_;
  std::size_t size_ = 0; ///< bytes of whole lines in the file: where a failed append rolls back to
  bool broken_ = false;  ///< a failed append could not be rolled back
};

} // namespace smup
