# Finds Kokkos and Kokkos Kernels and normalises them to the targets `Kokkos::kokkos`
# and `Kokkos::kokkoskernels`, whatever provided them. Used by smup's own build and by
# its installed package config, so consumers get the same answer as the build did.
#
# Sources, in order of precedence:
#   user        the user's own install: Kokkos_DIR, Kokkos_ROOT, CMAKE_PREFIX_PATH (cache
#               or environment), or targets already defined by an enclosing project.
#               Any Kokkos >= 3.4, 4.x included, any backend.
#   bootstrap   the prefix built by cmake/bootstrap-kokkos.sh (SMUP_DEPS_PREFIX).
#   debian      Debian's libtrilinos-kokkos-dev / libtrilinos-kokkos-kernels-dev, whose
#               CMake package is broken (missing include dir, no Kokkos::kokkoskernels).
# SMUP_KOKKOS = auto | user | bootstrap | debian forces one source.

include_guard(GLOBAL)
# Functions keep the policies in force where they are defined: Kokkos_ROOT needs CMP0074.
cmake_policy(VERSION 3.22...3.25)

set(_SMUP_KOKKOS_MIN_VERSION 3.4)

# Debian's is the only TriBITS-built Kokkos we expect; its config lives under /usr.
set(_SMUP_DEBIAN_PREFIX /usr)

function(_smup_pretty_backends out)
  set(names "")
  foreach(dev IN LISTS ARGN)
    string(TOUPPER "${dev}" dev)
    if(dev STREQUAL "OPENMP")
      list(APPEND names OpenMP)
    elseif(dev STREQUAL "SERIAL")
      list(APPEND names Serial)
    elseif(dev STREQUAL "CUDA")
      list(APPEND names Cuda)
    elseif(dev STREQUAL "HIP")
      list(APPEND names HIP)
    elseif(dev STREQUAL "SYCL")
      list(APPEND names SYCL)
    elseif(dev STREQUAL "PTHREAD" OR dev STREQUAL "THREADS")
      list(APPEND names Threads)
    elseif(dev STREQUAL "OPENMPTARGET")
      list(APPEND names OpenMPTarget)
    elseif(dev STREQUAL "OPENACC")
      list(APPEND names OpenACC)
    elseif(dev STREQUAL "HPX")
      list(APPEND names HPX)
    else()
      list(APPEND names "${dev}")
    endif()
  endforeach()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

# Searches only where the user points: Kokkos_DIR/_ROOT, CMAKE_PREFIX_PATH and HINTS;
# system prefixes would otherwise find Debian's broken package first.
macro(_smup_find_user pkg)
  find_package(${pkg} CONFIG QUIET ${ARGN}
    NO_CMAKE_SYSTEM_PATH NO_SYSTEM_ENVIRONMENT_PATH
    NO_CMAKE_PACKAGE_REGISTRY NO_CMAKE_SYSTEM_PACKAGE_REGISTRY)
endmacro()

macro(_smup_find_at pkg prefix)
  find_package(${pkg} CONFIG QUIET PATHS "${prefix}" NO_DEFAULT_PATH)
endmacro()

# True when `path` is `dir` or lies below it.
function(_smup_path_below out path dir)
  set(${out} FALSE PARENT_SCOPE)
  if(path AND dir AND EXISTS "${path}" AND EXISTS "${dir}")
    file(REAL_PATH "${path}" p)
    file(REAL_PATH "${dir}" d)
    string(FIND "${p}/" "${d}/" pos)
    if(pos EQUAL 0)
      set(${out} TRUE PARENT_SCOPE)
    endif()
  endif()
endfunction()

# Kokkos built in-tree by an enclosing project: mark its targets SYSTEM so our -Werror
# never sees warnings from Kokkos headers (imported targets are SYSTEM already).
function(_smup_mark_system)
  if(CMAKE_VERSION VERSION_LESS 3.25)
    return()
  endif()
  foreach(t IN ITEMS kokkos kokkoscore kokkoscontainers kokkosalgorithms kokkossimd
                     kokkoskernels)
    foreach(name IN ITEMS Kokkos::${t} ${t})
      if(TARGET ${name})
        get_target_property(real ${name} ALIASED_TARGET)
        if(NOT real)
          set(real ${name})
        endif()
        get_target_property(imported ${real} IMPORTED)
        if(NOT imported)
          set_property(TARGET ${real} PROPERTY SYSTEM ON)
        endif()
      endif()
    endforeach()
  endforeach()
endfunction()

# Debian's Trilinos (TriBITS) package: Kokkos::kokkos points at <prefix>/lib/include,
# which does not exist, and carries a stray -DKOKKOS_DEPENDENCE link item; Kokkos Kernels
# exports only `trilinos_kokkoskernels`, without include directories.
function(_smup_normalise_tribits global)
  set(incs "")
  foreach(d IN LISTS Kokkos_INCLUDE_DIRS)
    if(EXISTS "${d}")
      file(REAL_PATH "${d}" d)
      list(APPEND incs "${d}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES incs)
  set(libs "")
  foreach(l IN LISTS Kokkos_LIBRARIES)
    if(TARGET ${l})
      list(APPEND libs ${l})
    endif()
  endforeach()
  if(NOT incs OR NOT libs)
    message(FATAL_ERROR "smup: the Trilinos Kokkos package at ${Kokkos_DIR} has no usable "
                        "include directory or libraries (Kokkos_INCLUDE_DIRS='${Kokkos_INCLUDE_DIRS}').")
  endif()
  set_target_properties(Kokkos::kokkos PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${incs}"
    INTERFACE_LINK_LIBRARIES "${libs}")

  if(NOT TARGET Kokkos::kokkoskernels)
    set(kincs "")
    foreach(d IN LISTS KokkosKernels_INCLUDE_DIRS)
      if(EXISTS "${d}")
        file(REAL_PATH "${d}" d)
        list(APPEND kincs "${d}")
      endif()
    endforeach()
    list(REMOVE_DUPLICATES kincs)
    if(NOT TARGET trilinos_kokkoskernels)
      message(FATAL_ERROR "smup: the Trilinos Kokkos Kernels package at ${KokkosKernels_DIR} "
                          "does not define trilinos_kokkoskernels.")
    endif()
    if(global)
      add_library(Kokkos::kokkoskernels INTERFACE IMPORTED GLOBAL)
    else()
      add_library(Kokkos::kokkoskernels INTERFACE IMPORTED)
    endif()
    set_target_properties(Kokkos::kokkoskernels PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${kincs}"
      INTERFACE_LINK_LIBRARIES "trilinos_kokkoskernels;Kokkos::kokkos")
  endif()
endfunction()

# smup_resolve_kokkos([QUIET] [GLOBAL] [ERROR_VARIABLE <var>]
#                     [BUILT_WITH_KOKKOS_DIR <dir>] [BUILT_WITH_KERNELS_DIR <dir>])
# QUIET: no summary line. GLOBAL: imported targets visible everywhere (smup used via
# add_subdirectory). ERROR_VARIABLE: report failure there instead of a fatal error.
# BUILT_WITH_*: where the installed smup found Kokkos at build time, tried after the
# user's own paths and before the bootstrapped prefix.
# Sets in the caller: SMUP_KOKKOS_SOURCE, SMUP_KOKKOS_VERSION, SMUP_KOKKOS_BACKENDS,
# SMUP_KOKKOS_KERNELS_VERSION, SMUP_KOKKOS_DIR, SMUP_KOKKOS_KERNELS_DIR, and the usual
# Kokkos_* / KokkosKernels_* variables of find_package.
function(smup_resolve_kokkos)
  cmake_parse_arguments(ARG "QUIET;GLOBAL" "ERROR_VARIABLE;BUILT_WITH_KOKKOS_DIR;BUILT_WITH_KERNELS_DIR" "" ${ARGN})
  if(ARG_ERROR_VARIABLE)
    set(${ARG_ERROR_VARIABLE} "" PARENT_SCOPE)
  endif()

  set(mode "${SMUP_KOKKOS}")
  if(NOT mode)
    set(mode "$ENV{SMUP_KOKKOS}")
  endif()
  if(NOT mode)
    set(mode auto)
  endif()
  string(TOLOWER "${mode}" mode)
  if(NOT mode MATCHES "^(auto|user|bootstrap|debian)$")
    message(FATAL_ERROR "smup: SMUP_KOKKOS='${mode}' is not one of auto, user, bootstrap, debian.")
  endif()

  set(deps_prefix "${SMUP_DEPS_PREFIX}")
  if(deps_prefix AND NOT EXISTS "${deps_prefix}/lib/cmake/Kokkos")
    set(deps_prefix "")
  endif()

  get_property(already GLOBAL PROPERTY SMUP_KOKKOS_SOURCE)
  get_property(imported_before DIRECTORY PROPERTY IMPORTED_TARGETS)
  set(source "")
  set(error "")
  set(reused FALSE)

  if(TARGET Kokkos::kokkos AND TARGET Kokkos::kokkoskernels AND already)
    # Resolved earlier in this configure (find_package(smup) twice, or parent + smup).
    set(reused TRUE)
    set(source "${already}")
    get_property(Kokkos_VERSION GLOBAL PROPERTY SMUP_KOKKOS_VERSION)
    get_property(Kokkos_DEVICES GLOBAL PROPERTY SMUP_KOKKOS_DEVICES)
    get_property(KokkosKernels_VERSION GLOBAL PROPERTY SMUP_KOKKOS_KERNELS_VERSION)
    set(ARG_QUIET TRUE)
  elseif(TARGET Kokkos::kokkos)
    # The enclosing project brought its Kokkos: use it, whatever the mode; the source
    # is named from its location below.
    if(NOT TARGET Kokkos::kokkoskernels)
      if(TARGET kokkoskernels)
        add_library(Kokkos::kokkoskernels ALIAS kokkoskernels)
      elseif(TARGET trilinos_kokkoscore)
        # Trilinos installs <lib>/cmake/{Kokkos,KokkosKernels} side by side.
        find_package(KokkosKernels CONFIG QUIET PATHS "${Kokkos_DIR}/.." NO_DEFAULT_PATH)
      else()
        _smup_find_user(KokkosKernels HINTS "${Kokkos_DIR}/.." "${ARG_BUILT_WITH_KERNELS_DIR}")
      endif()
    endif()
  else()
    # A Kokkos_DIR cached by an earlier resolution must not pin that choice: search
    # again so a Kokkos_ROOT given later still wins. One the user set is kept.
    foreach(pkg IN ITEMS Kokkos KokkosKernels)
      if(DEFINED CACHE{_SMUP_RESOLVED_${pkg}_DIR} AND "${${pkg}_DIR}" STREQUAL "$CACHE{_SMUP_RESOLVED_${pkg}_DIR}")
        unset(${pkg}_DIR CACHE)
        unset(${pkg}_DIR)
      endif()
    endforeach()

    if(mode STREQUAL "auto")
      set(candidates user built_with bootstrap debian)
    else()
      set(candidates ${mode})
    endif()
    foreach(c IN LISTS candidates)
      if(c STREQUAL "user")
        _smup_find_user(Kokkos)
      elseif(c STREQUAL "built_with")
        if(ARG_BUILT_WITH_KOKKOS_DIR AND EXISTS "${ARG_BUILT_WITH_KOKKOS_DIR}")
          find_package(Kokkos CONFIG QUIET PATHS "${ARG_BUILT_WITH_KOKKOS_DIR}" NO_DEFAULT_PATH)
        endif()
      elseif(c STREQUAL "bootstrap")
        if(deps_prefix)
          _smup_find_at(Kokkos "${deps_prefix}")
        elseif(mode STREQUAL "bootstrap")
          set(error "SMUP_KOKKOS=bootstrap but SMUP_DEPS_PREFIX='${SMUP_DEPS_PREFIX}' holds no Kokkos; run cmake/bootstrap-kokkos.sh (or `make kokkos`).")
        endif()
      elseif(c STREQUAL "debian")
        if(NOT DEFINED CMAKE_CXX_EXTENSIONS)
          # Debian's config forces this OFF with a warning; do it quietly instead.
          set(CMAKE_CXX_EXTENSIONS OFF CACHE BOOL "Use compiler extensions (-std=gnu++)")
        endif()
        _smup_find_at(Kokkos "${_SMUP_DEBIAN_PREFIX}")
        if(Kokkos_FOUND AND NOT TARGET trilinos_kokkoscore)
          set(error "the Kokkos found under ${_SMUP_DEBIAN_PREFIX} (${Kokkos_DIR}) is not Debian's Trilinos package.")
          set(Kokkos_FOUND FALSE)
        endif()
      endif()
      if(Kokkos_FOUND)
        # Kokkos Kernels must come from the same place as Kokkos: mixing two Kokkos
        # builds in one program breaks at link time or, worse, at run time.
        if(TARGET trilinos_kokkoscore)
          find_package(KokkosKernels CONFIG QUIET PATHS "${Kokkos_DIR}/.." NO_DEFAULT_PATH)
        elseif(c STREQUAL "bootstrap")
          _smup_find_at(KokkosKernels "${deps_prefix}")
        else()
          # <prefix>/lib/cmake/Kokkos: the prefix, and the cmake/ folder for lib/<arch>.
          get_filename_component(kokkos_prefix "${Kokkos_DIR}/../../.." ABSOLUTE)
          get_filename_component(kokkos_cmake "${Kokkos_DIR}/.." ABSOLUTE)
          _smup_find_user(KokkosKernels HINTS "${kokkos_prefix}" "${kokkos_cmake}"
                                              "${ARG_BUILT_WITH_KERNELS_DIR}")
        endif()
        break()
      endif()
    endforeach()
  endif()

  if(NOT TARGET Kokkos::kokkos)
    if(NOT error)
      set(error "no Kokkos found (SMUP_KOKKOS=${mode}). Either point CMake at your own Kokkos >= ${_SMUP_KOKKOS_MIN_VERSION} (-DKokkos_ROOT=<prefix> or CMAKE_PREFIX_PATH), run `make kokkos` to build one into .deps/prefix (then -DSMUP_DEPS_PREFIX=<repo>/.deps/prefix), or install libtrilinos-kokkos-dev libtrilinos-kokkos-kernels-dev.")
    endif()
  elseif(NOT TARGET Kokkos::kokkoskernels AND NOT TARGET trilinos_kokkoskernels)
    set(error "found Kokkos at '${Kokkos_DIR}' but no Kokkos Kernels built against it. Install Kokkos Kernels into the same prefix or point KokkosKernels_ROOT at it.")
  endif()

  if(NOT error AND NOT reused)
    if(NOT source)
      _smup_path_below(in_deps "${Kokkos_DIR}" "${deps_prefix}")
      _smup_path_below(in_debian "${Kokkos_DIR}" "${_SMUP_DEBIAN_PREFIX}")
      if(in_deps)
        set(source bootstrap)
      elseif(TARGET trilinos_kokkoscore AND in_debian)
        set(source debian)
      else()
        set(source user)
      endif()
    endif()
    if(TARGET trilinos_kokkoscore)
      _smup_normalise_tribits("${ARG_GLOBAL}")
    endif()
    if(Kokkos_VERSION AND Kokkos_VERSION VERSION_LESS _SMUP_KOKKOS_MIN_VERSION)
      set(error "Kokkos ${Kokkos_VERSION} at '${Kokkos_DIR}' is older than ${_SMUP_KOKKOS_MIN_VERSION}, which smup needs.")
    endif()
  endif()

  if(error)
    if(ARG_ERROR_VARIABLE)
      set(${ARG_ERROR_VARIABLE} "smup: ${error}" PARENT_SCOPE)
      return()
    endif()
    message(FATAL_ERROR "smup: ${error}")
  endif()

  _smup_mark_system()
  if(ARG_GLOBAL)
    get_property(imported_after DIRECTORY PROPERTY IMPORTED_TARGETS)
    foreach(t IN LISTS imported_after)
      if(NOT t IN_LIST imported_before)
        get_target_property(is_global ${t} IMPORTED_GLOBAL)
        if(NOT is_global)
          set_property(TARGET ${t} PROPERTY IMPORTED_GLOBAL TRUE)
        endif()
      endif()
    endforeach()
  endif()

  if(NOT Kokkos_VERSION)
    set(Kokkos_VERSION unknown)
  endif()
  if(NOT KokkosKernels_VERSION)
    # Trilinos ships Kokkos Kernels without a version file; it matches its Kokkos.
    if(TARGET trilinos_kokkoscore)
      set(KokkosKernels_VERSION "${Kokkos_VERSION} (Trilinos)")
    else()
      set(KokkosKernels_VERSION unknown)
    endif()
  endif()
  _smup_pretty_backends(backends ${Kokkos_DEVICES})

  set_property(GLOBAL PROPERTY SMUP_KOKKOS_SOURCE "${source}")
  set_property(GLOBAL PROPERTY SMUP_KOKKOS_VERSION "${Kokkos_VERSION}")
  set_property(GLOBAL PROPERTY SMUP_KOKKOS_DEVICES "${Kokkos_DEVICES}")
  set_property(GLOBAL PROPERTY SMUP_KOKKOS_KERNELS_VERSION "${KokkosKernels_VERSION}")
  foreach(pkg IN ITEMS Kokkos KokkosKernels)
    if(${pkg}_DIR)
      set(_SMUP_RESOLVED_${pkg}_DIR "${${pkg}_DIR}" CACHE INTERNAL "")
    endif()
  endforeach()

  if(NOT ARG_QUIET)
    list(JOIN backends ", " backends_text)
    set(where "${Kokkos_DIR}")
    if(NOT where)
      set(where "targets of the enclosing project")
    endif()
    message(STATUS "smup: Kokkos ${Kokkos_VERSION} [${backends_text}], Kokkos Kernels ${KokkosKernels_VERSION}, source: ${source} (${where})")
  endif()

  set(SMUP_KOKKOS_SOURCE "${source}" PARENT_SCOPE)
  set(SMUP_KOKKOS_VERSION "${Kokkos_VERSION}" PARENT_SCOPE)
  set(SMUP_KOKKOS_BACKENDS "${backends}" PARENT_SCOPE)
  set(SMUP_KOKKOS_KERNELS_VERSION "${KokkosKernels_VERSION}" PARENT_SCOPE)
  set(SMUP_KOKKOS_DIR "${Kokkos_DIR}" PARENT_SCOPE)
  set(SMUP_KOKKOS_KERNELS_DIR "${KokkosKernels_DIR}" PARENT_SCOPE)
  foreach(v Kokkos_FOUND Kokkos_VERSION Kokkos_DEVICES Kokkos_DIR Kokkos_INCLUDE_DIRS
            KokkosKernels_FOUND KokkosKernels_VERSION KokkosKernels_DIR)
    set(${v} "${${v}}" PARENT_SCOPE)
  endforeach()
  foreach(dev IN LISTS Kokkos_DEVICES)
    string(TOUPPER "${dev}" dev)
    set(Kokkos_ENABLE_${dev} ON PARENT_SCOPE)
  endforeach()
endfunction()

# Dense products go to the BLAS library Kokkos Kernels was built with; on Debian that is
# OpenBLAS, whose default (pthreads) build keeps its own thread pool. With Kokkos on OpenMP
# the two pools spin against each other for the cores, and a dense layer gets slower on
# two threads than on one. Debian's OpenMP build of OpenBLAS (libopenblas0-openmp) runs
# on the same OpenMP runtime as Kokkos: when it is installed, `target` puts its folder
# first in the run path, so the loader takes the OpenMP build for the BLAS sonames
# (libopenblas.so.0, libblas.so.3) instead of the system default, and BLAS shares Kokkos'
# threads. SMUP_OPENMP_BLAS: AUTO (when found and Kokkos is on OpenMP), ON (required), OFF.
function(smup_link_openmp_blas target)
  set(SMUP_OPENMP_BLAS AUTO CACHE STRING
    "Run BLAS from Debian's OpenMP build of OpenBLAS, on Kokkos' OpenMP threads: AUTO, ON, OFF")
  string(TOUPPER "${SMUP_OPENMP_BLAS}" mode)
  # A device build's Kokkos Kernels uses the vendor's BLAS, not the host's.
  if(mode STREQUAL "OFF" OR (mode STREQUAL "AUTO" AND (NOT Kokkos_ENABLE_OPENMP OR
     Kokkos_ENABLE_CUDA OR Kokkos_ENABLE_HIP OR Kokkos_ENABLE_SYCL)))
    return()
  endif()
  set(dir "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp")
  if(NOT EXISTS "${dir}/libopenblas.so.0")
    if(mode STREQUAL "ON")
      message(FATAL_ERROR "smup: SMUP_OPENMP_BLAS=ON but ${dir} holds no OpenBLAS "
                          "(Debian: apt-get install libopenblas0-openmp)")
    endif()
    return()
  endif()
  # The installed package runs this again on the consumer's machine, so the path of this
  # one stays out of the exported target.
  get_target_property(imported ${target} IMPORTED)
  if(imported)
    target_link_options(${target} INTERFACE "-Wl,-rpath,${dir}")
  else()
    target_link_options(${target} INTERFACE "$<BUILD_INTERFACE:-Wl,-rpath,${dir}>")
  endif()
  message(STATUS "smup: BLAS from ${dir} (OpenBLAS on Kokkos' OpenMP threads)")
endfunction()
