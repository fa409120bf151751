# Compiles one .cu file with nvcc against smup and the Kokkos in use (see
# tests/CMakeLists.txt). nvcc is looked up when the test runs; without it the test
# is skipped, saying so.
#   cmake -DFLAGS_FILE=... -DSOURCE=... -DOUTPUT=... -P run-nvcc.cmake
cmake_minimum_required(VERSION 3.22)
find_program(NVCC nvcc NO_CACHE)
if(NOT NVCC)
  message("SMUP_SKIP: nvcc is not on the PATH; the CUDA compile check did not run")
  return()
endif()
include("${FLAGS_FILE}")

set(args --extended-lambda -std=c++20 -c "${SOURCE}" -o "${OUTPUT}" "-I${SMUP_INCLUDE_DIR}")
list(REMOVE_DUPLICATES KOKKOS_INCLUDE_DIRS)
foreach(dir IN LISTS KOKKOS_INCLUDE_DIRS)
  # -isystem /usr/include (Kokkos' libdl target carries it) breaks #include_next.
  if(dir AND NOT dir STREQUAL SMUP_INCLUDE_DIR AND NOT dir IN_LIST IMPLICIT_INCLUDE_DIRS)
    list(APPEND args -isystem "${dir}")
  endif()
endforeach()
if(KOKKOS_OPENMP)
  list(APPEND args -Xcompiler -fopenmp)
endif()

get_filename_component(out_dir "${OUTPUT}" DIRECTORY)
file(MAKE_DIRECTORY "${out_dir}")
execute_process(COMMAND "${NVCC}" --version OUTPUT_VARIABLE version)
string(REGEX MATCH "release [0-9.]+" version "${version}")
string(REPLACE ";" " " text "${args}")
message(STATUS "nvcc (${version}): ${text}")
execute_process(COMMAND "${NVCC}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nvcc failed to compile ${SOURCE}")
endif()
message(STATUS "nvcc compiled ${SOURCE}")
