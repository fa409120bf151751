# Compile-fail tests: each source states what its compilation must produce, in a line
#
#   // SMUP_EXPECT_ERROR: <regex>     the compile must fail and its output match <regex>
#   // SMUP_EXPECT_COMPILES            the compile must succeed (a sanity case)
#
# <regex> is a CMake regular expression matched against the compiler's output (C locale,
# so quotes are ASCII); it cannot contain ';' (CMake's list separator: use '.').
# Several SMUP_EXPECT_ERROR lines must all match. The expectation
# is read when the test runs, so editing it needs no reconfigure.
include_guard(GLOBAL)
include(smupWarnings)

set(_SMUP_COMPILE_FAIL_CHECK "${CMAKE_CURRENT_LIST_DIR}/smupCompileFailCheck.cmake")

# smup_add_compile_fail_test(<source> [LINK <targets>...] [LABELS <labels>...])
# Adds an object target outside `all` and a test `compile_fail.<stem>` that builds it.
function(smup_add_compile_fail_test source)
  cmake_parse_arguments(ARG "" "" "LINK;LABELS" ${ARGN})
  get_filename_component(source "${source}" ABSOLUTE)
  get_filename_component(stem "${source}" NAME_WE)
  set(target smup_compile_fail_${stem})
  add_library(${target} OBJECT EXCLUDE_FROM_ALL "${source}")
  target_link_libraries(${target} PRIVATE smup::smup ${ARG_LINK})
  smup_target_warnings(${target})

  if(NOT ARG_LABELS)
    set(ARG_LABELS compile-fail)
  endif()
  add_test(NAME compile_fail.${stem}
    COMMAND "${CMAKE_COMMAND}"
      "-DBUILD_DIR=${CMAKE_BINARY_DIR}" "-DTARGET=${target}" "-DSOURCE=${source}"
      "-DCONFIG=$<CONFIG>" -P "${_SMUP_COMPILE_FAIL_CHECK}")
  set_tests_properties(compile_fail.${stem} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
  # Ninja keeps one log per build tree; concurrent runs in it may corrupt it.
  if(CMAKE_GENERATOR MATCHES "Ninja")
    set_tests_properties(compile_fail.${stem} PROPERTIES RESOURCE_LOCK smup_build_tree)
  endif()
endfunction()
