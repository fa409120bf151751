#pragma once
/// The one SIMD layer of the host (CPU) kernels of every sparse format: a vector type
/// per scalar, as wide as the target being compiled, and the few operations those
/// kernels need. GCC/Clang vector extensions carry it, so one source serves x86 and Arm.
///
///     using V = smup::detail::HostSimd<float>;   // V::lanes floats per V::type
///     V::type acc{};
///     acc = V::fma(V::splat(w), V::load(x), acc);
///     float total = V::sum(acc);
///
/// Width (SMUP_HOST_SIMD_BYTES): 64 bytes with AVX-512F, 32 with AVX/AVX2, 16 with
/// SSE2 (the x86-64 baseline), NEON or VSX. Vectors wider than the target would be split
/// into halves on every operation and change the calling convention (GCC's -Wpsabi).
/// SMUP_HOST_SIMD is 0 where the compiler has no vector extensions, or compiles for a
/// device (nvcc, hipcc, SYCL device passes); the host kernels then do not exist and
/// every execution space takes the generic team kernels. Define SMUP_HOST_SIMD=0 to
/// force that.

#include <cstddef>
#include <type_traits>
#include <utility>

#if !defined(SMUP_HOST_SIMD)
#if defined(__GNUC__) && !defined(__CUDACC__) && !defined(__HIPCC__) &&                            \
    !defined(__SYCL_DEVICE_ONLY__) &&                                                              \
    (defined(__SSE2__) || defined(__ARM_NEON) || defined(__VSX__))
#define SMUP_HOST_SIMD 1
#else
#define SMUP_HOST_SIMD 0
#endif
#endif

#if SMUP_HOST_SIMD

#if defined(__AVX512F__)
#define SMUP_HOST_SIMD_BYTES 64
#elif defined(__AVX__)
#define SMUP_HOST_SIMD_BYTES 32
#else
#define SMUP_HOST_SIMD_BYTES 16
#endif

// Explicit FMA: whether a * b + c contracts is up to compiler options (-ffp-contract),
// and the register-tiled kernels need the fused instruction.
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__FMA__) || defined(__AVX512F__))
#include <immintrin.h>
#define SMUP_DETAIL_HOST_FMA_X86 1
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define SMUP_DETAIL_HOST_FMA_NEON 1
#endif

namespace smup::detail {

inline constexpr int host_simd_bytes = SMUP_HOST_SIMD_BYTES;

/// Vector registers of the target: how many accumulators a register tile may hold.
#if defined(__AVX512F__) || defined(__aarch64__) || defined(__VSX__)
inline constexpr int host_simd_registers = 32;
#else
inline constexpr int host_simd_registers = 16;
#endif

template <class Scalar, int Bytes = host_simd_bytes> struct HostSimd {
  static_assert(std::is_floating_point_v<Scalar>, "smup: host SIMD vectors hold float or double.");
  static constexpr int bytes = Bytes;
  static constexpr int lanes = Bytes / static_cast<int>(sizeof(Scalar));
  typedef Scalar type __attribute__((vector_size(Bytes)));

  // memcpy, not a cast: activations are only Scalar-aligned.
  static type load(Scalar const* p) {
    type v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(Scalar* p, type v) { __builtin_memcpy(p, &v, sizeof v); }

  // s - 0, not 0 + s: GCC folds the former to a broadcast, the latter costs an add.
  static type splat(Scalar s) { return s - type{}; }

  /// a * b + c, rounded once where the target has FMA.
  static type fma(type a, type b, type c) {
#if defined(SMUP_DETAIL_HOST_FMA_X86)
#if defined(__AVX512F__)
    if constexpr (Bytes == 64 && std::is_same_v<Scalar, float>)
      return __builtin_bit_cast(type,
                                _mm512_fmadd_ps(bits<__m512>(a), bits<__m512>(b), bits<__m512>(c)));
    if constexpr (Bytes == 64 && std::is_same_v<Scalar, double>)
      return __builtin_bit_cast(
          type, _mm512_fmadd_pd(bits<__m512d>(a), bits<__m512d>(b), bits<__m512d>(c)));
#endif
#if defined(__FMA__)
    if constexpr (Bytes == 32 && std::is_same_v<Scalar, float>)
      return __builtin_bit_cast(type,
                                _mm256_fmadd_ps(bits<__m256>(a), bits<__m256>(b), bits<__m256>(c)));
    if constexpr (Bytes == 32 && std::is_same_v<Scalar, double>)
      return __builtin_bit_cast(
          type, _mm256_fmadd_pd(bits<__m256d>(a), bits<__m256d>(b), bits<__m256d>(c)));
    if constexpr (Bytes == 16 && std::is_same_v<Scalar, float>)
      return __builtin_bit_cast(type,
                                _mm_fmadd_ps(bits<__m128>(a), bits<__m128>(b), bits<__m128>(c)));
    if constexpr (Bytes == 16 && std::is_same_v<Scalar, double>)
      return __builtin_bit_cast(type,
                                _mm_fmadd_pd(bits<__m128d>(a), bits<__m128d>(b), bits<__m128d>(c)));
#endif
#elif defined(SMUP_DETAIL_HOST_FMA_NEON)
    if constexpr (Bytes == 16 && std::is_same_v<Scalar, float>)
      return __builtin_bit_cast(
          type, vfmaq_f32(bits<float32x4_t>(c), bits<float32x4_t>(a), bits<float32x4_t>(b)));
    if constexpr (Bytes == 16 && std::is_same_v<Scalar, double>)
      return __builtin_bit_cast(
          type, vfmaq_f64(bits<float64x2_t>(c), bits<float64x2_t>(a), bits<float64x2_t>(b)));
#endif
    return a * b + c;
  }

  /// The sum of the lanes, as a tree of half-width adds (log2(lanes) steps, not lanes).
  static Scalar sum(type v) {
    if constexpr (lanes == 1) {
      return v[0];
    } else if constexpr (lanes == 2) {
      return v[0] + v[1];
    } else {
      constexpr auto half = std::make_index_sequence<lanes / 2>{};
      return HostSimd<Scalar, Bytes / 2>::sum(low_half(v, half) + high_half(v, half));
    }
  }

  /// Keeps v in a register: a value folded into each FMA as a memory operand is
  /// loaded once per FMA, and then loads, not FMAs, bound a register-tiled kernel.
  static void keep_in_register([[maybe_unused]] type& v) {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__AVX2__) || defined(__AVX512F__))
    __asm__("" : "+v"(v));
#endif
  }

private:
  template <class To> static To bits(type v) { return __builtin_bit_cast(To, v); }

  // Halves by shuffles, which stay in registers; memcpy halves go through the stack.
  template <std::size_t... I> static auto low_half(type v, std::index_sequence<I...>) {
    return __builtin_shufflevector(v, v, I...);
  }
  template <std::size_t... I> static auto high_half(type v, std::index_sequence<I...>) {
    return __builtin_shufflevector(v, v, (I + sizeof...(I))...);
  }
};

} // namespace smup::detail

#else

#define SMUP_HOST_SIMD_BYTES 0

#endif // SMUP_HOST_SIMD
