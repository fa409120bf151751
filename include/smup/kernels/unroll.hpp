#pragma once
/// SMUP_UNROLL(n): asks the compiler to unroll the next loop n times. Each compiler
/// spells the pragma its own way and warns about the others' spellings (nvcc warns
/// about `#pragma GCC unroll`, GCC about `#pragma unroll`), so kernels write this macro.
///
///     SMUP_UNROLL(16)
///     for (int j = 0; j < NV; ++j) acc[j] += w * x[j];

#define SMUP_DETAIL_PRAGMA(text) _Pragma(#text)

#if defined(__CUDACC__) || defined(__HIPCC__) || defined(__clang__) || defined(__NVCOMPILER)
#define SMUP_UNROLL(n) SMUP_DETAIL_PRAGMA(unroll n)
#elif defined(__GNUC__)
#define SMUP_UNROLL(n) SMUP_DETAIL_PRAGMA(GCC unroll n)
#else
#define SMUP_UNROLL(n)
#endif

/// SMUP_SIMD: tells the compiler the next loop's iterations are independent, so it
/// vectorises it without proving that its pointers do not overlap (an in-place update
/// touching each entry once is fine). omp simd where OpenMP is on, GCC's ivdep otherwise.
#if defined(_OPENMP)
#define SMUP_SIMD SMUP_DETAIL_PRAGMA(omp simd)
#elif defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define SMUP_SIMD SMUP_DETAIL_PRAGMA(GCC ivdep)
#else
#define SMUP_SIMD
#endif
