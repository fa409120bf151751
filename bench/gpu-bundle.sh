#!/usr/bin/env bash
# Packs a CUDA build of smup's tests, examples and benchmark suite for a GPU machine that
# has the NVIDIA driver and nothing else of ours (no compiler, no network): the binaries,
# stripped, the CUDA runtime libraries they link (libcudart.so.13, plus cuBLAS where Kokkos
# Kernels uses it), the data the examples' smoke runs read, and run.sh (bench/gpu-run.sh).
#   bench/gpu-bundle.sh BUILD_DIR OUT_DIR      (make gpu-bundle calls it)
# Then, on the GPU machine: OUT_DIR/run.sh RESULTS_DIR
set -euo pipefail
build=${1:?usage: gpu-bundle.sh BUILD_DIR OUT_DIR}
out=${2:?usage: gpu-bundle.sh BUILD_DIR OUT_DIR}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

binaries=("$build/tests/smup_runtime_tests" "$build/bench/smup_bench" "$build"/examples/example_*)
for b in "${binaries[@]}"; do
  [[ -x $b ]] || { echo "gpu-bundle: $b is missing; build the CUDA targets first (make build KOKKOS_BACKEND=cuda ...)" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/data/fashion-mnist" "$out/data/fortunes"
for b in "${binaries[@]}"; do
  cp "$b" "$out/bin/"
  strip "$out/bin/$(basename "$b")"
done
# The toolkit's libraries the binaries load (the driver's libcuda.so is the machine's own).
ldd "${binaries[@]}" | awk '$3 ~ /lib(cudart|cublas|cublasLt|cusparse|nvJitLink)\.so/ { print $3 }' |
  sort -u | while read -r lib; do cp -L "$lib" "$out/lib/"; done

# Smoke-run data: Fashion-MNIST's test split stands in for both splits (a smoke run reads
# a few hundred images); the fortunes are small enough to take whole.
fm=/usr/share/datasets/fashion-mnist
for split in train t10k; do
  cp "$fm/t10k-images-idx3-ubyte.gz" "$out/data/fashion-mnist/$split-images-idx3-ubyte.gz"
  cp "$fm/t10k-labels-idx1-ubyte.gz" "$out/data/fashion-mnist/$split-labels-idx1-ubyte.gz"
done
find /usr/share/games/fortunes -maxdepth 1 -type f ! -name '*.dat' -exec cp {} "$out/data/fortunes/" \;

cp "$repo/bench/gpu-run.sh" "$out/run.sh"
chmod +x "$out/run.sh"
du -sh "$out" | awk '{ print "gpu-bundle: " $2 " holds " $1 }'
