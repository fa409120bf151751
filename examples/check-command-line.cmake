# Runs one example command line and checks how it answers:
#   cmake -DCOMMAND=<program;args...> -DEXIT=<status> [-DSTDOUT=<regex>] [-DSTDERR=<regex>]
#         [-DREJECT=<regex>] -P check-command-line.cmake
# EXIT is the exit status expected; STDOUT and STDERR must match what the program wrote
# there; REJECT must match neither (Kokkos's help or warnings where none belong).
# Values may not hold ';' (a CMake list separator).
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(shown "${COMMAND}\n--- exit status ${status}, standard output:\n${out}--- standard error:\n${err}")
if(NOT status STREQUAL "${EXIT}")
  message(FATAL_ERROR "expected exit status ${EXIT}: ${shown}")
endif()
if(DEFINED STDOUT AND NOT out MATCHES "${STDOUT}")
  message(FATAL_ERROR "standard output does not match '${STDOUT}': ${shown}")
endif()
if(DEFINED STDERR AND NOT err MATCHES "${STDERR}")
  message(FATAL_ERROR "standard error does not match '${STDERR}': ${shown}")
endif()
if(DEFINED REJECT AND ("${out}${err}" MATCHES "${REJECT}"))
  message(FATAL_ERROR "the output matches '${REJECT}', which it must not: ${shown}")
endif()
message(STATUS "as expected: ${COMMAND} (exit status ${status})")
