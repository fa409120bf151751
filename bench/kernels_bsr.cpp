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
  // 1/8: whole 32 x 32 blocks in every block row of both shapes (3 of 24, 12 of 96).
  using Weights = smup::SparseWeights<smup::Block<32, 32>, Space, Scalar>;
  for (auto const s : rectangular_shapes)
    add_pattern<Weights>(
        "block32x32", s.out, s.in, smup::ratio{1, 8},
        [s] {
          return Weights(s.out, s.in, smup::ratio{1, 8}, 7);
        },
        rectangular_batch);
#endif
}

} // namespace smup_bench
