// Writes the seed corpus of every fuzz target: small valid inputs and near misses (one
// thing wrong each), so that fuzzing starts deep inside each reader.
//
//   cmake --build build/release --target smup_fuzz_make_seeds
//   build/release/tests/fuzz/smup_fuzz_make_seeds tests/fuzz/corpus
//
// Rewrites the files it knows and leaves any other file in the folders alone.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <smup/io/checkpoint_format.hpp>
#include <smup/io/safetensors.hpp>

#include "checkpoint_model.hpp"

namespace {

namespace fs = std::filesystem;
namespace st = smup::safetensors;

fs::path root;

void write(std::string const& target, std::string const& name, std::string_view bytes) {
  fs::create_directories(root / target);
  std::ofstream out(root / target / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write(std::string const& target, std::string const& name,
           std::vector<std::byte> const& bytes) {
  write(target, name, std::string_view(reinterpret_cast<char const*>(bytes.data()), bytes.size()));
}

std::string big_endian(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string idx(std::uint8_t rank, std::vector<std::uint32_t> const& extents,
                std::string const& body) {
  std::string out{'\0', '\0', '\x08', static_cast<char>(rank)};
  for (auto e : extents) out += big_endian(e);
  return out + body;
}

void idx_seeds() {
  std::string pixels;
  for (int k = 0; k < 12; ++k) pixels += static_cast<char>(k * 20);
  write("idx", "images-3x2x2", idx(3, {3, 2, 2}, pixels));
  write("idx", "images-none-of-28x28", idx(3, {0, 28, 28}, ""));
  write("idx", "images-truncated", idx(3, {3, 2, 2}, pixels.substr(0, 10)));
  write("idx", "images-extra-bytes", idx(3, {3, 2, 2}, pixels + "xy"));
  write("idx", "labels-5", idx(1, {5}, std::string{0, 1, 2, 3, 9}));
  write("idx", "labels-out-of-range", idx(1, {3}, std::string{0, 12, 1}));
  write("idx", "rank-2", idx(2, {2, 2}, "abcd"));
  write("idx", "wrong-magic",
        std::string("\x00\x00\x0d\x03", 4) + big_endian(1) + big_endian(1) + big_endian(1) + "z");
}

void text_seeds() {
  write("text", "plain", "Hello, world.\nA second line without an end");
  write("text", "fortunes", "A fortune.\n%\nAnother one,\r\n  on two lines.\r\n%\r\n%\n%%\nlast");
  write("text", "utf8",
        "Gr\xc3\xbc\xc3\x9f"
        "e aus \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80\n");
  write("text", "latin1-accent", "caf\xe9 au lait, na\xefve r\xe9sum\xe9 of a long enough line\n");
  write("text", "nul-byte", std::string("text\0more", 9));
  write("text", "terminal", "bold\bb\x07 bell\x1b[0m\n");
  std::string blocks;
  for (int k = 0; blocks.size() < 2100; ++k)
    blocks += "line " + std::to_string(k) + " of a text a little longer than two blocks\n";
  write("text", "three-blocks", blocks);
}

void csv_seeds() {
  std::string const header =
      "parameterization,width,lr,seed,train_loss,val_loss,val_acc,diverged\n";
  write("csv", "sweep",
        header + "SmuP,64,0.00390625,0,0.5,0.625,0.75,0\n"
                 "SP,64,0.0078125,1,nan,inf,,1\n");
  write("csv", "sweep-unfinished-line",
        header + "SmuP,64,0.00390625,0,0.5,0.625,0.75,0\nSP,64,0.0");
  write("csv", "sweep-bad-number", header + "SmuP,64,fast,0,0.5,0.625,,0\n");
  write("csv", "sweep-diverged-2", header + "SmuP,64,0.00390625,0,0.5,0.625,,2\n");
  write("csv", "sweep-crlf-blank-lines",
        "\r\n" + std::string("lr,seed,train_loss,val_loss,diverged\r\n") +
            "\r\n1e-3,+4,1,2,0\r\n\r\n");
  write("csv", "quoted", "name,note\n\"a,b\",\"say \"\"hi\"\"\"\n\" x \",\"two\nlines\"\n\"\",\n");
  write("csv", "open-quote", "name,note\n\"never closed,1\n");
  write("csv", "wrong-width", "a,b,c\n1,2\n");
  write("csv", "other-header", "lr,seed\n0.5,1\n");
}

void parse_ratio_seeds() {
  char const* texts[] = {"1",
                         "1/16",
                         "0.0625",
                         "3/2",
                         "1/0",
                         "0",
                         ".5",
                         "5.",
                         "1/2/3",
                         "abc",
                         "",
                         "999999999999999999/3",
                         "0.000000000000000001",
                         "7/7.5",
                         "-1/2",
                         "1.2.3"};
  int k = 0;
  for (auto const* t : texts) write("parse_ratio", "ratio-" + std::to_string(k++), t);
}

void example_args_seeds() {
  // The first byte picks the example (00 to 07); NUL bytes separate the arguments.
  auto const args = [](char example, std::vector<std::string> const& list) {
    std::string out(1, example);
    for (std::size_t k = 0; k < list.size(); ++k) out += (k ? std::string(1, '\0') : "") + list[k];
    return out;
  };
  write("example_args", "hp-table-csv",
        args(0, {"--width", "2048", "--density", "1/32", "--format", "csv", "--sigma", "0.02"}));
  write("example_args", "hp-table-help", args(0, {"--help"}));
  write("example_args", "hp-table-bad-density", args(0, {"--density", "3/2"}));
  write("example_args", "mutransfer-smoke-shard",
        args(1, {"--smoke", "--shard", "2/3", "--out", "dir", "--seeds", "2"}));
  write("example_args", "mutransfer-steps-0", args(1, {"--steps", "0"}));
  write("example_args", "coord-check-tied", args(2, {"--smoke", "--tied-readout", "--data", "x"}));
  write("example_args", "coord-check-shard", args(2, {"--shard", "1/2"}));
  write("example_args", "lr-transfer-checkpoints",
        args(3, {"--smoke", "--checkpoint-every", "2", "--stop-after-steps", "12"}));
  write("example_args", "sparse-loss-full", args(4, {"--full", "--seeds", "3", "-h"}));
  write("example_args", "weight-decay-both", args(5, {"--decay", "both", "--shard", "auto"}));
  write("example_args", "weight-decay-bogus", args(5, {"--bogus", "--kokkos-threads=2"}));
  write("example_args", "structured-transfer-smoke-shard",
        args(6, {"--smoke", "--shard", "1/2", "--out", "dir", "--steps", "5"}));
  write("example_args", "equal-compute-smoke-model",
        args(7, {"--smoke", "--model", "gpt", "--out", "dir", "--steps", "5", "--seeds", "2"}));
}

std::vector<std::byte> with_length(std::string const& json, std::string const& data) {
  std::string out(8, '\0');
  auto n = static_cast<std::uint64_t>(json.size());
  for (std::size_t k = 0; k < 8; ++k, n >>= 8) out[k] = static_cast<char>(n & 0xFFu);
  out += json + data;
  auto const* p = reinterpret_cast<std::byte const*>(out.data());
  return {p, p + out.size()};
}

void safetensors_seeds() {
  st::Writer w;
  w.set_metadata("step", "12");
  w.set_metadata("note", "caf\xc3\xa9");
  w.add("weights", {2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  w.add("scale", {}, std::vector<double>{0.5});
  w.add("counts", {2}, std::vector<std::int64_t>{7, -1});
  w.add("mask", {3}, std::vector<bool>{true, false, true});
  w.add("empty", {0, 4}, std::vector<std::uint8_t>{});
  std::byte const half[] = {std::byte{0x00}, std::byte{0x3c}, std::byte{0x00}, std::byte{0xc0}};
  w.add_bytes("half", st::DType::F16, {2}, half);
  w.add_bytes("brain", st::DType::BF16, {1}, std::span(half, 2));
  auto const bytes = w.to_bytes();
  write("safetensors", "dtypes", bytes);
  write("safetensors", "dtypes-truncated", std::vector<std::byte>(bytes.begin(), bytes.end() - 3));
  auto corrupted = bytes;
  corrupted.at(corrupted.size() - 1) ^= std::byte{1}; // the last data byte
  write("safetensors", "dtypes-bad-crc32", corrupted);
  write("safetensors", "no-tensors", with_length("{}", ""));
  write("safetensors", "metadata-null",
        with_length(R"({"__metadata__":null,"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})",
                    "xy"));
  write("safetensors", "escaped-names",
        with_length(R"({"caf\u00e9 \ud83d\ude00":{"dtype":"I16","shape":[1],"data_offsets":[0,2]},)"
                    R"("b\"\\\/\n":{"dtype":"BOOL","shape":[1,1],"data_offsets":[2,3]}}   )",
                    std::string("\x01\x02\x01", 3)));
  write("safetensors", "overlap",
        with_length(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                    R"("b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})",
                    "xyz"));
  write("safetensors", "huge-shape",
        with_length(R"({"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}})",
                    "12345678"));
}

void checkpoint_seeds() {
  using namespace smup_fuzz;
  smup::TrainingProgress const progress{
      .step = 12, .data_seed = 5, .data_position = 3, .extra = {{"best_loss", "0.5"}}};
  write("checkpoint", "valid", checkpoint_bytes(12, progress));
  auto const variant = [&](std::string const& name, auto change) {
    auto writer = smup::detail::checkpoint_writer(model_identity(), optimizer_identity(), 12,
                                                  progress, model_arrays(), "seed.safetensors");
    change(writer);
    write("checkpoint", name, writer.to_bytes());
  };
  variant("version-2", [](st::Writer& w) { w.set_metadata("smup.format_version", "2"); });
  variant("other-width", [](st::Writer& w) { w.set_metadata("smup.model.width", "4"); });
  variant("unknown-entry", [](st::Writer& w) { w.set_metadata("smup.model.dropout", "0.1"); });
  variant("steps-not-a-number",
          [](st::Writer& w) { w.set_metadata("smup.optimizer.steps", "1x"); });
  variant("extra-tensor", [](st::Writer& w) { w.add("optim.001.m", {1}, std::vector<float>{0}); });
  auto other_mask = model_arrays();
  other_mask.masks.front().data = {false, true, true, false};
  write("checkpoint", "other-mask",
        smup::detail::checkpoint_writer(model_identity(), optimizer_identity(), 12, progress,
                                        other_mask, "seed.safetensors")
            .to_bytes());
  auto doubles = smup::detail::CheckpointArrays<double>{};
  for (auto const& v : model_arrays().values)
    doubles.values.push_back({v.name, std::vector<double>(v.data.begin(), v.data.end())});
  for (auto const& m : model_arrays().masks)
    doubles.masks.push_back({m.name, m.rows, m.cols, m.data});
  write("checkpoint", "float64",
        smup::detail::checkpoint_writer(model_identity(), optimizer_identity(), 12, progress,
                                        doubles, "seed.safetensors")
            .to_bytes());
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  root = argv[1];
  idx_seeds();
  text_seeds();
  csv_seeds();
  parse_ratio_seeds();
  example_args_seeds();
  safetensors_seeds();
  checkpoint_seeds();
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}
