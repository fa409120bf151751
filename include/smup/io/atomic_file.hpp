#pragma once
/// Replacing a file so that a crash, a full disk or any other failure never leaves a
/// half-written file where a good one was.
///
///     std::array<std::span<std::byte const>, 2> pieces{header, data};
///     smup::detail::replace_file_atomically("run/model.safetensors", pieces, "smup::Checkpoint");
///
/// The pieces go, in order, to a new temporary file in the target's folder (the same
/// filesystem, so the rename is atomic), which is fsync'ed and then renamed over the target:
/// a reader sees the old file or the new one, never a mix, even after a power cut. On any
/// failure the temporary is removed, the old file is left as it was, and smup::error names the
/// file and the operating system's reason. The folder must exist: a missing folder usually
/// means a mistyped path, which creating it would hide. POSIX only (Linux, macOS).

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include <smup/core/error.hpp>

namespace smup::detail {

/// The operating system's text for an errno value, e.g. "No space left on device".
inline std::string os_reason(int code) { return std::generic_category().message(code); }

/// What to try after an error, for the errors a user can act on.
inline std::string os_advice(int code) {
  switch (code) {
  case ENOENT: return "Check that the folder exists (it is not created for you).";
  case ENOTDIR: return "A part of the path is a file, not a folder; check the path.";
  case EACCES:
  case EPERM:
  case EROFS: return "Check that the folder is writable.";
  case ENOSPC:
  case EDQUOT: return "Free some disk space or write elsewhere.";
  case EFBIG: return "The file exceeds a file size limit (ulimit -f or the filesystem's).";
  case EISDIR: return "The path names a folder; give a file name.";
  default: return "Check the path, the folder's permissions and the free disk space.";
  }
}

inline void replace_file_atomically(std::filesystem::path const& path,
                                    std::span<std::span<std::byte const> const> pieces,
                                    std::string_view who) {
  auto const where = std::string(who) + ": cannot write '" + path.string() + "': ";
  auto const unchanged = " The previous file, if any, is unchanged. ";
  if (!path.has_filename())
    fail(where + "the path ends in a separator, so it names no file. Give a file name.");

  // pid + a process-wide counter keep concurrent writers apart; O_EXCL skips, never reuses,
  // a temporary left behind by a process that crashed with the same pid.
  static std::atomic<unsigned long> counter{0};
  std::filesystem::path temp;
  int fd = -1;
  int code = 0;
  for (int attempt = 0; attempt < 64 && fd < 0; ++attempt) {
    temp = path;
    temp += ".tmp-";
    temp += std::to_string(::getpid()) + "-" + std::to_string(counter++);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    code = fd < 0 ? errno : 0;
    if (fd < 0 && code != EEXIST) break;
  }
  if (fd < 0)
    fail(where + "cannot create a temporary file beside it (" + os_reason(code) + ")." + unchanged +
         os_advice(code));

  auto give_up = [&](char const* step, int error) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    fail(where + step + " failed (" + os_reason(error) + ")." + unchanged + os_advice(error));
  };
  for (auto const piece : pieces) {
    auto const* p = reinterpret_cast<char const*>(piece.data());
    std::size_t left = piece.size();
    while (left > 0) {
      // At most 1 GiB per call: Linux writes no more than about 2 GiB at once anyway.
      std::size_t const chunk = left < (std::size_t{1} << 30) ? left : std::size_t{1} << 30;
      ::ssize_t const n = ::write(fd, p, chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) give_up("writing", errno);
      if (n == 0) give_up("writing", ENOSPC); // no progress and no error: treat as full
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  if (::fsync(fd) != 0) give_up("flushing to disk (fsync)", errno);
  int const closed = ::close(fd);
  fd = -1;
  if (closed != 0) give_up("closing", errno);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    code = errno;
    ::unlink(temp.c_str());
    fail(where + "renaming the temporary over it failed (" + os_reason(code) + ")." + unchanged +
         os_advice(code));
  }
  // Makes the rename itself durable. Best effort: some filesystems refuse to sync a folder,
  // and the new file is complete either way.
  auto const folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  int const dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

} // namespace smup::detail
