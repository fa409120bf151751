// The dense baseline: smup's Dense kernels, which are KokkosBlas::gemm calls and so the
// BLAS library's (OpenBLAS here) product of the same shape as every sparse subject.
#include <smup/kernels/dense.hpp>

#include "suite.hpp"

namespace smup_bench {

void register_dense() {
  using Weights = smup::SparseWeights<smup::Dense, Space, Scalar>;
  for (std::int64_t const n : sizes)
    add_pattern<Weights>("dense", n, n, smup::ratio{1}, [n] { return Weights(n, n, 7); });
  for (auto const s : rectangular_shapes)
    add_pattern<Weights>(
        "dense", s.out, s.in, smup::ratio{1}, [s] { return Weights(s.out, s.in, 7); },
        rectangular_batch);
}

} // namespace smup_bench
