# Strict warnings for smup's own targets (tests, examples, benchmarks). Kokkos and
# Kokkos Kernels headers arrive as SYSTEM includes, so their warnings never fail us.
include_guard(GLOBAL)

function(smup_target_warnings target)
  if(MSVC)
    set(flags /W4 /permissive-)
    if(SMUP_WARNINGS_AS_ERRORS)
      list(APPEND flags /WX)
    endif()
  else()
    set(flags -Wall -Wextra -Wpedantic)
    if(SMUP_WARNINGS_AS_ERRORS)
      list(APPEND flags -Werror)
    endif()
    if(CMAKE_CXX_COMPILER MATCHES "nvcc_wrapper$" OR CMAKE_CXX_COMPILER_ID STREQUAL "NVIDIA")
      # The host compiler sees nvcc's rewrite of each source, which declares member
      # pointers as `T (C::*name)`; that is nvcc's text, not ours. (nvcc_wrapper drops
      # -Wpedantic itself.)
      list(APPEND flags -Wno-parentheses)
    endif()
  endif()
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${flags}>)
endfunction()
