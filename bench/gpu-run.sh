#!/usr/bin/env bash
# Runs a bundle made by bench/gpu-bundle.sh on the machine that has the GPU: the whole
# runtime test suite, every example's --smoke, and the kernel benchmarks (1 repetition,
# dense and each pattern at the suite's shapes), writing logs and CSVs to RESULTS_DIR.
#   ./run.sh RESULTS_DIR
# Exit status: the number of steps that failed (0: all passed).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results=${1:?usage: run.sh RESULTS_DIR}
mkdir -p "$results"
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OMP_PROC_BIND=false
failed=0
step() { # step NAME COMMAND...: runs it, logs it, counts a failure
  local name=$1; shift
  local started=$SECONDS
  if "$@" >"$results/$name.log" 2>&1; then
    echo "run: $name passed ($((SECONDS - started)) s)"
  else
    echo "run: $name FAILED ($((SECONDS - started)) s, exit $?); last lines of $results/$name.log:"
    tail -n 20 "$results/$name.log"
    failed=$((failed + 1))
  fi
}

nvidia-smi -L >"$results/gpu.txt" 2>&1 || echo "run: nvidia-smi is not available" >"$results/gpu.txt"
cat "$results/gpu.txt"

# The whole suite (the two tests of Debian's installed data sets warn and pass there).
step tests "$here/bin/smup_runtime_tests" --durations yes
step example_00_hp_table "$here/bin/example_00_hp_table"
step example_01_mutransfer "$here/bin/example_01_mutransfer" --smoke --data "$here/data/fashion-mnist" \
  --out "$results/mutransfer-smoke"
step example_06_structured_transfer "$here/bin/example_06_structured_transfer" --smoke \
  --data "$here/data/fashion-mnist" --out "$results/structured-transfer-smoke"
for lm in 02_lm_coord_check 03_lm_lr_transfer 04_lm_sparse_loss; do
  step "example_$lm" "$here/bin/example_$lm" --smoke --data "$here/data/fortunes" \
    --out "$results/$lm-smoke"
done
step bench "$here/bin/smup_bench" --smup_csv_dir="$results" --benchmark_repetitions=1 \
  --benchmark_out="$results/smup_bench.json" --benchmark_out_format=json

echo "run: $failed step(s) failed; results in $results"
exit "$failed"
