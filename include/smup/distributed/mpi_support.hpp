#pragma once
/// What smup's MPI code needs of MPI itself: failed calls as smup::error with MPI's own
/// text, the MPI datatype of a scalar, and whether MPI may be handed pointers into a
/// memory space (host memory always; CUDA device memory when the library says it is
/// CUDA-aware, asked at run time as Open MPI documents it).
/// Needs <mpi.h>: link smup::mpi, not smup::smup.

#include <cstdint>
#include <string>
#include <type_traits>

#include <mpi.h>
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h> // MPIX_CUDA_AWARE_SUPPORT, MPIX_Query_cuda_support (Open MPI)
#endif

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>

namespace smup::detail {

/// Throws smup::error naming the call and giving MPI's reason when rc is not success.
/// Only codes that come back are seen: DataParallel sets MPI_ERRORS_RETURN on its own
/// communicator, so MPI's default (abort) never hides them.
inline void check_mpi(int rc, std::string const& call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  std::string reason = "error code " + std::to_string(rc);
  if (MPI_Error_string(rc, text, &length) == MPI_SUCCESS && length > 0)
    reason = std::string(text, static_cast<std::size_t>(length));
  smup::detail::fail("smup: MPI: " + call + " failed: " + reason +
                     ". Every rank must make the same collective calls with the same sizes; "
                     "check the ranks build the same model and pass the same global count.");
}

template <class> inline constexpr bool mpi_unsupported_scalar = false;

template <class Scalar> MPI_Datatype mpi_datatype() {
  if constexpr (std::is_same_v<Scalar, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<Scalar, double>)
    return MPI_DOUBLE;
  else
    static_assert(
        mpi_unsupported_scalar<Scalar>,
        "smup::DataParallel: only float and double tensors can be reduced over MPI. Train "
        "the model with Scalar = float or double.");
}

/// Whether the running MPI library reports CUDA-aware support (false when it cannot say).
inline bool mpi_cuda_aware() {
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

/// Whether pointers into MemorySpace may go to MPI as they are; otherwise the data is
/// staged through host memory.
template <class MemorySpace> bool mpi_accepts_pointers_into() {
  if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible) {
    return true;
  }
#if defined(KOKKOS_ENABLE_CUDA)
  else if constexpr (std::is_same_v<MemorySpace, Kokkos::CudaSpace>) {
    return mpi_cuda_aware();
  }
#endif
  else {
    return false;
  }
}

} // namespace smup::detail
