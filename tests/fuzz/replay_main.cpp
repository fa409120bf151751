// Runs a fuzz target's LLVMFuzzerTestOneInput on every file of the folders named on the
// command line (a missing folder is skipped), so that its seed corpus and every input that
// once broke it are checked by ctest without libFuzzer or clang. A broken property or a
// crash ends the process; the input is named first.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::size_t replayed = 0;
  for (int a = 1; a < argc; ++a) {
    std::error_code ec;
    if (!fs::is_directory(argv[a], ec)) {
      std::printf("%s: no such folder, nothing to replay\n", argv[a]);
      continue;
    }
    std::vector<fs::path> files;
    for (auto const& entry : fs::directory_iterator(argv[a]))
      if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (auto const& file : files) {
      std::printf("%s\n", file.c_str());
      std::fflush(stdout);
      std::ifstream in(file, std::ios::binary);
      std::vector<std::uint8_t> const bytes((std::istreambuf_iterator<char>(in)),
                                            std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 1;
      }
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      ++replayed;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return 0;
}
