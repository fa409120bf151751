// NM<N, M>: 2:4 and 1:2 ... 1:64, the densities of the other patterns' sweep.

// 0 leaves the N:M format out of the suite.
#ifndef SMUP_BENCH_NM
#define SMUP_BENCH_NM 1
#endif

#include <string>

#include "suite.hpp"

#if SMUP_BENCH_NM
#include <smup/kernels/nm.hpp>
#endif

namespace smup_bench {

#if SMUP_BENCH_NM
namespace {
template <int N, int M> void add_nm() {
  using Weights = smup::SparseWeights<smup::NM<N, M>, Space, Scalar>;
  std::string const name = "nm" + std::to_string(N) + ":" + std::to_string(M);
  for (std::int64_t const n : sizes)
    add_pattern<Weights>(name, n, n, smup::ratio{N, M}, [n] { return Weights(n, n, 7); });
}
} // namespace
#endif

void register_nm() {
#if SMUP_BENCH_NM
  add_nm<2, 4>();
  add_nm<1, 2>();
  add_nm<1, 4>();
  add_nm<1, 8>();
  add_nm<1, 16>();
  add_nm<1, 32>();
  add_nm<1, 64>();
  // 1:8, the N:M density nearest 1/10 whose groups divide both fan-ins.
  using Weights = smup::SparseWeights<smup::NM<1, 8>, Space, Scalar>;
  for (auto const s : rectangular_shapes)
    add_pattern<Weights>(
        "nm1:8", s.out, s.in, smup::ratio{1, 8}, [s] { return Weights(s.out, s.in, 7); },
        rectangular_batch);
#endif
}

} // namespace smup_bench
