// smup's headers must compile under nvcc: users build their CUDA codes with them.
// Compile only (no GPU needed): tests/cuda/run-nvcc.cmake.
#include <smup/smup.hpp>

// Also the Kokkos in use, as a CUDA user's code would see it (host backends here).
#include <KokkosBlas3_gemm.hpp>
#include <Kokkos_Core.hpp>

static_assert(smup::ratio{2, 4} == smup::ratio{1, 2});

namespace {

// A rule reaches device code as a template argument of a functor, the way Kokkos
// launches kernels. Two nvcc 13 limits shape this file:
//  - smup's constexpr functions are host functions to nvcc; calling them in device code
//    needs --expt-relaxed-constexpr (Kokkos' CUDA builds pass it), so only members are read;
//  - a namespaced class-type template argument directly on a __global__ template breaks
//    nvcc's host stub; on a functor type it is fine.
template <smup::ratio R> struct Scale {
  float* x;
  __device__ void operator()(int i) const {
    x[i] *= static_cast<float>(R.num) / static_cast<float>(R.den);
  }
};

template <class F> __global__ void launch(F f, int n) {
  int const i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) f(i);
}

} // namespace

void smup_cuda_halve(float* x, int n) {
  launch<<<(n + 127) / 128, 128>>>(Scale<smup::ratio{2, 4}>{x}, n);
}

double smup_host_density() {
  constexpr smup::ratio quarter{1, 4};
  return quarter.to_double();
}
