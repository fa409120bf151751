# Runs one compile-fail test (see smupCompileFail.cmake):
#   cmake -DBUILD_DIR=... -DTARGET=... -DSOURCE=... [-DCONFIG=...] -P smupCompileFailCheck.cmake
cmake_minimum_required(VERSION 3.22)
foreach(v BUILD_DIR TARGET SOURCE)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "smupCompileFailCheck: ${v} is not set")
  endif()
endforeach()

file(STRINGS "${SOURCE}" lines REGEX "SMUP_EXPECT_(ERROR|COMPILES)")
set(patterns "")
set(expect_compiles FALSE)
foreach(line IN LISTS lines)
  if(line MATCHES "SMUP_EXPECT_ERROR:[ \t]*(.*[^ \t])[ \t]*$")
    list(APPEND patterns "${CMAKE_MATCH_1}")
  elseif(line MATCHES "SMUP_EXPECT_COMPILES")
    set(expect_compiles TRUE)
  endif()
endforeach()
if(NOT patterns AND NOT expect_compiles)
  message(FATAL_ERROR "${SOURCE}: no '// SMUP_EXPECT_ERROR: <regex>' or '// SMUP_EXPECT_COMPILES' line")
endif()
if(patterns AND expect_compiles)
  message(FATAL_ERROR "${SOURCE}: has both SMUP_EXPECT_ERROR and SMUP_EXPECT_COMPILES")
endif()

set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
# The C locale keeps GCC's quotes ASCII, so regexes need no Unicode quote marks.
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env LC_ALL=C LANG=C
          "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --target "${TARGET}" ${config_args}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)

if(expect_compiles)
  if(NOT rc EQUAL 0)
    message("${out}")
    message(FATAL_ERROR "${SOURCE}: expected to compile, but the build failed")
  endif()
  message(STATUS "${SOURCE}: compiles, as expected")
  return()
endif()

if(rc EQUAL 0)
  message("${out}")
  message(FATAL_ERROR "${SOURCE}: expected a compile error, but it compiled")
endif()
set(missing "")
foreach(p IN LISTS patterns)
  if(NOT out MATCHES "${p}")
    list(APPEND missing "${p}")
  endif()
endforeach()
if(missing)
  message("${out}")
  list(JOIN missing "\n  " missing_text)
  message(FATAL_ERROR "${SOURCE}: the compile failed, but its output does not match:\n  ${missing_text}")
endif()
message(STATUS "${SOURCE}: fails to compile with the expected diagnostic")
