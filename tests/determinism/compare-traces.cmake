cmake_minimum_required(VERSION 3.22)
# Runs TRACE with 1 thread, 2 threads and 2 threads again and fails, showing both lines,
# where a trace differs: smup's own kernels (every sparse pattern) must give the same bits
# on 1 and 2 threads; the dense models, whose products OpenBLAS computes and splits by its
# thread count (its OpenMP build follows Kokkos' threads), must repeat on 2 threads.
set(index 0)
foreach(run IN ITEMS 1 2 2)
  math(EXPR index "${index} + 1")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env OMP_NUM_THREADS=${run} OPENBLAS_NUM_THREADS=1
            OMP_PROC_BIND=false OMP_WAIT_POLICY=passive "${TRACE}"
    OUTPUT_VARIABLE trace ERROR_VARIABLE errors RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${TRACE} with ${run} thread(s) failed (${status}): ${errors}")
  endif()
  string(STRIP "${trace}" trace)
  string(REPLACE "\n" ";" lines "${trace}")
  if(index EQUAL 1)
    set(first "${lines}")
    list(LENGTH first count)
    if(count LESS 9)
      message(FATAL_ERROR "expected a trace line per model and pattern, got:\n${trace}")
    endif()
    continue()
  endif()
  if(index EQUAL 2)
    set(reference "${first}")
    set(second "${lines}")
    set(what "1 thread's")
  else()
    set(reference "${second}")
    set(what "the first 2-thread run's")
  endif()
  foreach(line IN LISTS reference)
    if(index EQUAL 2 AND line MATCHES "^[a-z]+ dense ")
      continue()
    endif()
    list(FIND lines "${line}" found)
    if(found EQUAL -1)
      message(FATAL_ERROR "with ${run} thread(s) the trace differs from ${what}.\n"
                          "expected:\n  ${line}\n${run} thread(s):\n${trace}")
    endif()
  endforeach()
endforeach()
message(STATUS "${count} traces: sparse ones bit-identical on 1 and 2 threads, all repeated "
               "bit-identical on 2 threads")
