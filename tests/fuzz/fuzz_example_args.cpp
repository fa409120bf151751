// Every example's command-line parser (examples/NN_name/settings.hpp) on arbitrary
// arguments: the first byte picks the example, the rest splits into arguments at NUL
// bytes. A parser returns settings or the usage request, or throws std::invalid_argument
// (smup::error is one) naming what was wrong; it never prints or exits.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "00_hp_table/settings.hpp"
#include "01_mutransfer/settings.hpp"
#include "02_lm_coord_check/settings.hpp"
#include "03_lm_lr_transfer/settings.hpp"
#include "04_lm_sparse_loss/settings.hpp"
#include "05_weight_decay/settings.hpp"
#include "06_structured_transfer/settings.hpp"
#include "07_equal_compute/settings.hpp"

#include "fuzz_check.hpp"

namespace {

template <class Parse> void parse_with(Parse parse, smup_example::Arguments const& args) {
  try {
    auto const parsed = parse(args);
    (void)parsed;
  } catch (std::invalid_argument const& e) {
    SMUP_FUZZ_CHECK(std::string(e.what()).size() > 0);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size == 0) return 0;
  std::vector<std::string> args;
  if (size > 1) {
    args.emplace_back();
    for (std::size_t k = 1; k < size; ++k) {
      if (data[k] == 0)
        args.emplace_back();
      else
        args.back() += static_cast<char>(data[k]);
    }
  }
  smup_example::Arguments const arguments(std::move(args));
  namespace ex = smup_example;
  switch (data[0] % 8) {
  case 0: parse_with(ex::hp_table::parse, arguments); break;
  case 1: parse_with(ex::mutransfer::parse, arguments); break;
  case 2: parse_with(ex::lm_coord_check::parse, arguments); break;
  case 3: parse_with(ex::lm_lr_transfer::parse, arguments); break;
  case 4: parse_with(ex::lm_sparse_loss::parse, arguments); break;
  case 5: parse_with(ex::weight_decay::parse, arguments); break;
  case 6: parse_with(ex::structured_transfer::parse, arguments); break;
  case 7: parse_with(ex::equal_compute::parse, arguments); break;
  }
  return 0;
}
