// Unstructured and BalancedUnstructured (CSR), and KokkosSparse::spmv on the same
// Unstructured matrix at every shape and density.

// 0 leaves the CSR formats (and with them the spmv baseline) out of the suite.
#ifndef SMUP_BENCH_CSR
#define SMUP_BENCH_CSR 1
#endif

#include "suite.hpp"

#if SMUP_BENCH_CSR
#include <smup/kernels/csr.hpp>

#include "spmv.hpp"
#endif

namespace smup_bench {

void register_csr() {
#if SMUP_BENCH_CSR
  using Unstructured = smup::SparseWeights<smup::Unstructured, Space, Scalar>;
  using Balanced = smup::SparseWeights<smup::BalancedUnstructured, Space, Scalar>;
  for (std::int64_t const n : sizes)
    for (smup::ratio const d : densities()) {
      auto const unstructured = [n, d] { return Unstructured(n, n, d, 7); };
      add_spmv<Unstructured>("unstructured", n, n, d, unstructured);
      add_pattern<Unstructured>("unstructured", n, n, d, unstructured);
      add_pattern<Balanced>("unstructured-balanced", n, n, d,
                            [n, d] { return Balanced(n, n, d, 7); });
    }
  for (auto const s : rectangular_shapes)
    add_pattern<Unstructured>(
        "unstructured", s.out, s.in, smup::ratio{1, 10},
        [s] {
          return Unstructured(s.out, s.in, smup::ratio{1, 10}, 7);
        },
        rectangular_batch);
#endif
}

} // namespace smup_bench
