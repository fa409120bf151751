#pragma once
// Scratch folders and file reading for tests that write files.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace smup_test {

/// A fresh folder per test under the system temp dir, removed afterwards. `name` must be
/// unique across the suite, since tests may run in parallel processes.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(std::string const& name)
      : path(std::filesystem::temp_directory_path() / ("smup-test-" + name)) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;
};

/// The whole file as bytes in a string.
inline std::string slurp(std::filesystem::path const& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace smup_test
