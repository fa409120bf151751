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
  endif()
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${flags}>)
endfunction()
