#!/usr/bin/env bash
# Builds Kokkos and Kokkos Kernels into a local prefix, once. By default their sources come
# from Debian's trilinos *source* package (Kokkos 3.4.01; Debian ships Kokkos only as
# Serial-only C++14 binaries with a broken CMake package) and the backend is OpenMP + Serial.
# Any other Kokkos (3.4 or 4.x) builds from source trees the caller names:
#
#   KOKKOS_SOURCE=~/src/kokkos KOKKOS_KERNELS_SOURCE=~/src/kokkos-kernels \
#   SMUP_KOKKOS_BACKEND=cuda SMUP_KOKKOS_ARCH=HOPPER90 cmake/bootstrap-kokkos.sh
#
# Idempotent: a stamp in the prefix records what was built; a second run returns at once.
#
# Environment:
#   SMUP_DEPS_DIR          where to work (default <repo>/.deps)
#   SMUP_DEPS_PREFIX       where to install (default $SMUP_DEPS_DIR/prefix)
#   KOKKOS_SOURCE          a Kokkos source tree (with KOKKOS_KERNELS_SOURCE); default: Debian's
#   KOKKOS_KERNELS_SOURCE  the matching Kokkos Kernels source tree
#   SMUP_KOKKOS_BACKEND    openmp (default: OpenMP + Serial) or cuda (CUDA + Serial, built
#                          with Kokkos' nvcc_wrapper; Kokkos Kernels with cuBLAS)
#   SMUP_KOKKOS_ARCH       Kokkos architecture name for cuda (default HOPPER90; e.g. AMPERE80)
#   SMUP_KOKKOS_CUBLAS     ON (default) or OFF: Kokkos Kernels' cuBLAS/cuSPARSE TPLs for cuda
#   SMUP_TRILINOS_TARBALL  use this trilinos source tarball instead of fetching one with apt-get
#   JOBS                   parallel build jobs (default: nproc)
#   CXX                    C++ compiler (default: what CMake finds; ignored for cuda)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps=${SMUP_DEPS_DIR:-$repo/.deps}
mkdir -p "$deps"
deps=$(cd "$deps" && pwd)
prefix=${SMUP_DEPS_PREFIX:-$deps/prefix}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
stamp=$prefix/.smup-bootstrap.stamp
work=$deps/work-$(printf '%s' "$prefix" | cksum | cut -d' ' -f1)
logs=$work/logs
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

backend=${SMUP_KOKKOS_BACKEND:-openmp}
arch=${SMUP_KOKKOS_ARCH:-HOPPER90}
cublas=${SMUP_KOKKOS_CUBLAS:-ON}
if [[ -n ${KOKKOS_SOURCE:-} || -n ${KOKKOS_KERNELS_SOURCE:-} ]]; then
  for v in KOKKOS_SOURCE KOKKOS_KERNELS_SOURCE; do
    if [[ -z ${!v:-} || ! -f ${!v}/CMakeLists.txt ]]; then
      echo "smup bootstrap: $v='${!v:-}' is not a source tree. Set both KOKKOS_SOURCE and" \
           "KOKKOS_KERNELS_SOURCE to the top folders of the Kokkos and Kokkos Kernels sources." >&2
      exit 2
    fi
  done
  KOKKOS_SOURCE=$(cd "$KOKKOS_SOURCE" && pwd)
  KOKKOS_KERNELS_SOURCE=$(cd "$KOKKOS_KERNELS_SOURCE" && pwd)
fi

kokkos_args=(
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_CXX_STANDARD=20
  -DKokkos_ENABLE_SERIAL=ON
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON
)
# Kokkos 4 reads CMAKE_CXX_STANDARD and deprecates its own variable; 3.x needs it.
kokkos_major=3
if [[ -n ${KOKKOS_SOURCE:-} ]]; then
  kokkos_major=$(sed -n 's/^ *set(Kokkos_VERSION_MAJOR \([0-9]*\)).*/\1/Ip' \
    "$KOKKOS_SOURCE/CMakeLists.txt" | head -n1)
fi
[[ ${kokkos_major:-3} -lt 4 ]] && kokkos_args+=(-DKokkos_CXX_STANDARD=20)
case $backend in
  openmp) kokkos_args+=(-DKokkos_ENABLE_OPENMP=ON) ;;
  cuda)
    if [[ -z ${KOKKOS_SOURCE:-} ]]; then
      echo "smup bootstrap: SMUP_KOKKOS_BACKEND=cuda needs a Kokkos 4.x source tree" \
           "(KOKKOS_SOURCE, KOKKOS_KERNELS_SOURCE): Debian's Kokkos 3.4.01 predates current CUDA." >&2
      exit 2
    fi
    command -v nvcc >/dev/null || { echo "smup bootstrap: SMUP_KOKKOS_BACKEND=cuda but nvcc is not on the PATH" >&2; exit 2; }
    kokkos_args+=(-DKokkos_ENABLE_CUDA=ON "-DKokkos_ARCH_$arch=ON"
                  "-DCMAKE_CXX_COMPILER=$KOKKOS_SOURCE/bin/nvcc_wrapper") ;;
  *) echo "smup bootstrap: SMUP_KOKKOS_BACKEND='$backend' is not one of openmp, cuda" >&2; exit 2 ;;
esac
# ETI off: smup instantiates for its own layouts (LayoutRight, float) at use.
kernels_args=(
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_CXX_STANDARD=20
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  -DKokkosKernels_ENABLE_TPL_BLAS=ON
  -DKokkosKernels_INST_DOUBLE=OFF -DKokkosKernels_INST_FLOAT=OFF
  -DKokkosKernels_INST_ORDINAL_INT=OFF -DKokkosKernels_INST_OFFSET_INT=OFF
  -DKokkosKernels_INST_OFFSET_SIZE_T=OFF
  -DKokkosKernels_INST_LAYOUTLEFT=OFF -DKokkosKernels_INST_LAYOUTRIGHT=OFF
  -DKokkosKernels_INST_EXECSPACE_OPENMP=OFF -DKokkosKernels_INST_EXECSPACE_SERIAL=OFF
  -DKokkosKernels_INST_MEMSPACE_HOSTSPACE=OFF
  -DKokkosKernels_ENABLE_TESTS=OFF -DKokkosKernels_ENABLE_EXAMPLES=OFF
)
if [[ $backend == cuda ]]; then
  # The host BLAS stays off: OpenBLAS compiled through nvcc_wrapper adds nothing on a GPU.
  kernels_args=("${kernels_args[@]/-DKokkosKernels_ENABLE_TPL_BLAS=ON/-DKokkosKernels_ENABLE_TPL_BLAS=OFF}"
                -DKokkosKernels_ADD_DEFAULT_ETI=OFF
                "-DKokkosKernels_ENABLE_TPL_CUBLAS=$cublas" "-DKokkosKernels_ENABLE_TPL_CUSPARSE=$cublas"
                "-DCMAKE_CXX_COMPILER=$KOKKOS_SOURCE/bin/nvcc_wrapper")
fi

# Everything that changes the result goes into the stamp, so a change rebuilds.
cxx_id=$("${CXX:-c++}" --version 2>/dev/null | head -n1 || echo unknown)
key="recipe=3|cxx=$cxx_id|kokkos=${kokkos_args[*]}|kernels=${kernels_args[*]}|source=${KOKKOS_SOURCE:-}|${KOKKOS_KERNELS_SOURCE:-}|tarball=${SMUP_TRILINOS_TARBALL:-apt}"

if [[ -f $stamp && "$(cat "$stamp")" == "$key" ]]; then
  echo "smup bootstrap: Kokkos + Kokkos Kernels already in $prefix (delete $stamp to rebuild)"
  exit 0
fi

# One bootstrap at a time per prefix (make -j, two terminals).
if command -v flock >/dev/null; then
  exec 9>"$prefix/.lock"
  flock 9
  if [[ -f $stamp && "$(cat "$stamp")" == "$key" ]]; then
    echo "smup bootstrap: built by a concurrent run in $prefix"
    exit 0
  fi
fi

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
t_all=$(now_ms)
t_last=$t_all
lap() { # prints the time of the step just finished
  local now; now=$(now_ms)
  local ms=$(( now - t_last ))
  printf 'smup bootstrap: %-32s %4d.%d s\n' "$1" $(( ms / 1000 )) $(( ms % 1000 / 100 ))
  t_last=$now
}
run_logged() { # run_logged <log name> <command...>: quiet unless it fails
  local log=$logs/$1.log; shift
  if ! "$@" >"$log" 2>&1; then
    echo "smup bootstrap: FAILED: $*" >&2
    tail -n 40 "$log" >&2
    echo "smup bootstrap: full log: $log" >&2
    exit 1
  fi
}

rm -rf "$logs"; mkdir -p "$logs"

if [[ -n ${KOKKOS_SOURCE:-} ]]; then
  kokkos_src=$KOKKOS_SOURCE kernels_src=$KOKKOS_KERNELS_SOURCE
  echo "smup bootstrap: Kokkos from $kokkos_src, Kokkos Kernels from $kernels_src ($backend)"
else
# --- 1. Source tarball -------------------------------------------------------------
# Prints "URI SUITE [SIGNED_BY]" of the system's Debian/Ubuntu main archive.
archive_from_system_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    awk '
      function flush() {
        if (uri != "" && suite != "" && comps ~ /(^| )main( |$)/ && types ~ /deb/ &&
            uri ~ /(debian|ubuntu)\/?$/ && !done) {
          print uri, suite, signed; done = 1
        }
        uri = ""; suite = ""; comps = ""; types = ""; signed = ""
      }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      tolower($1) == "types:"      { types = $0 }
      tolower($1) == "uris:"       { uri = $2 }
      tolower($1) == "suites:"     { for (i = 2; i <= NF; i++) if ($i !~ /-(security|updates|backports|proposed)$/) { suite = $i; break } }
      tolower($1) == "components:" { comps = $0 }
      tolower($1) == "signed-by:"  { signed = $2 }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    # deb [opts] URI SUITE COMPONENTS...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '
      $1 == "deb" && $2 ~ /(debian|ubuntu)\/?$/ && $3 !~ /-(security|updates|backports|proposed)$/ {
        for (i = 4; i <= NF; i++) if ($i == "main") { print $2, $3; exit }
      }'
  done
}

fetch_tarball() {
  local apt_dir=$deps/apt uri suite signed line
  line=$(archive_from_system_sources | head -n1 || true)
  read -r uri suite signed <<<"${line:-}" || true
  if [[ -z ${uri:-} || -z ${suite:-} ]]; then
    uri=http://deb.debian.org/debian suite=bookworm signed=
  fi
  local opts=""
  [[ -n ${signed:-} && -r $signed ]] && opts="[signed-by=$signed] "
  echo "smup bootstrap: fetching trilinos source from $uri $suite"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$deps/src"
  echo "deb-src ${opts}$uri $suite main" >"$apt_dir/sources.list"
  # A private source list and state keep the system's apt configuration untouched.
  local apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  )
  [[ $(id -u) -ne 0 ]] && apt_opts+=(-o Debug::NoLocking=1)
  run_logged apt-update apt-get "${apt_opts[@]}" update
  (cd "$deps/src" && rm -f trilinos_*.orig.tar.* &&
    run_logged apt-source apt-get "${apt_opts[@]}" source --download-only trilinos)
  tarball=$(ls "$deps"/src/trilinos_*.orig.tar.* 2>/dev/null | head -n1 || true)
  [[ -n $tarball ]] || { echo "smup bootstrap: no trilinos orig tarball downloaded" >&2; exit 1; }
}

if [[ -n ${SMUP_TRILINOS_TARBALL:-} ]]; then
  tarball=$SMUP_TRILINOS_TARBALL
else
  command -v apt-get >/dev/null || {
    echo "smup bootstrap: apt-get not found; set SMUP_TRILINOS_TARBALL to a trilinos source tarball" \
         "or configure with your own Kokkos (-DKokkos_ROOT=...)" >&2
    exit 1
  }
  fetch_tarball
fi
lap "fetch trilinos source"

src=$deps/src/trilinos
rm -rf "$src"; mkdir -p "$src"
# Only Kokkos and Kokkos Kernels are needed from the 166 MB tree.
tar xf "$tarball" -C "$src" --strip-components=1 --wildcards \
  '*/packages/kokkos/*' '*/packages/kokkos-kernels/*'
[[ -z ${SMUP_TRILINOS_TARBALL:-} ]] && rm -f "$tarball" "$deps"/src/trilinos_*.debian.tar.* "$deps"/src/trilinos_*.dsc
lap "extract packages/kokkos*"
kokkos_src=$src/packages/kokkos kernels_src=$src/packages/kokkos-kernels
fi

# --- 2. Build and install ------------------------------------------------------------
find "$prefix" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
rm -rf "$work/build"
cxx_arg=()
[[ -n ${CXX:-} && $backend != cuda ]] && cxx_arg=(-DCMAKE_CXX_COMPILER="$CXX")

run_logged kokkos-configure cmake -S "$kokkos_src" -B "$work/build/kokkos" \
  "${cxx_arg[@]}" "${kokkos_args[@]}" -DCMAKE_INSTALL_PREFIX="$prefix"
lap "configure Kokkos"
run_logged kokkos-build cmake --build "$work/build/kokkos" --parallel "$jobs"
run_logged kokkos-install cmake --install "$work/build/kokkos"
lap "build + install Kokkos"

run_logged kernels-configure cmake -S "$kernels_src" -B "$work/build/kernels" \
  "${cxx_arg[@]}" "${kernels_args[@]}" -DKokkos_ROOT="$prefix" -DCMAKE_INSTALL_PREFIX="$prefix"
lap "configure Kokkos Kernels"
run_logged kernels-build cmake --build "$work/build/kernels" --parallel "$jobs"
run_logged kernels-install cmake --install "$work/build/kernels"
lap "build + install Kokkos Kernels"

if [[ $backend == openmp ]]; then
  grep -q '^#define KOKKOSKERNELS_ENABLE_TPL_BLAS' "$prefix/include/KokkosKernels_config.h" ||
    echo "smup bootstrap: warning: Kokkos Kernels was built without the BLAS TPL" >&2
fi
rm -rf "$work/build"

printf '%s' "$key" >"$stamp"
t_last=$t_all
lap "total"
echo "smup bootstrap: installed into $prefix"
