// Block<R, C> (BSR): 32 x 32 and 16 x 16 blocks at every density of the sweep.

// 0 leaves the block format out of the suite.
#ifndef SMUP_BENCH_BSR
#define SMUP_BENCH_BSR 1
#endif

#include <string>

#include "suite.hpp"

#if SMUP_BENCH_BSR
#include <smup/kernels/bsr.hpp>
#endif

namespace smup_bench {

#if SMUP_BENCH_BSR
namespace {
template <int R, int C> void add_block() {
  using Weights = smup::SparseWeights<smup::Block<R, C>, Space, Scalar>;
  std::string const name = "block" + std::to_string(R) + "x" + std::to_string(C);
  for (std::int64_t const n : sizes)
    for (smup::ratio const d : densities())
      add_pattern<Weights>(name, n, n, d, [n, d] { return Weights(n, n, d, 7); });
}
} // namespace
#endif

void register_bsr() {
#if SMUP_BENCH_BSR
  add_block<32, 32>();
  add_block<16, 16>();
#endif
}

} // namespace smup_bench
