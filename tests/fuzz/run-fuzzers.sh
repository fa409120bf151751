#!/usr/bin/env bash
# Runs every libFuzzer target of a build (BIN_DIR/smup_fuzz_<name>) for FUZZ_SECONDS
# seconds (default 30), one after the other, each on a scratch copy of its seed corpus and
# regression inputs (tests/fuzz/corpus/<name>, regressions/<name>): the repository's
# folders are never written. Prints per target the executions, the coverage at the end
# (libFuzzer's cov: edges, ft: features) and the crashes; exits 1 when any target crashed,
# leaked, ran out of memory or timed out. Findings and logs stay in WORK_DIR (default
# BIN_DIR/runs); a finding, once fixed, belongs in tests/fuzz/regressions/<name>/.
#
#   tests/fuzz/run-fuzzers.sh build/fuzz/tests/fuzz [WORK_DIR]
set -euo pipefail

bin=${1:?usage: run-fuzzers.sh BIN_DIR [WORK_DIR]}
work=${2:-$bin/runs}
seconds=${FUZZ_SECONDS:-30}
# FUZZ_SEED fixes libFuzzer's random seed, so a CI run explores the same inputs each time
# (a failure there can be replayed); unset, every run explores afresh.
seed_option=()
[[ -n ${FUZZ_SEED:-} ]] && seed_option=(-seed="$FUZZ_SEED")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

shopt -s nullglob
targets=()
for exe in "$bin"/smup_fuzz_*; do
  [[ -x $exe && -f $exe ]] && targets+=("${exe##*/smup_fuzz_}")
done
if ((${#targets[@]} == 0)); then
  echo "run-fuzzers.sh: no smup_fuzz_* binaries in $bin (configure with -DSMUP_BUILD_FUZZERS=ON)" >&2
  exit 2
fi

failed=0
summary=$(printf '%-14s %12s %8s %8s %8s  %s' target executions cov ft crashes result)
for name in "${targets[@]}"; do
  dir=$work/$name
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/findings"
  cp "$here/corpus/$name"/* "$dir/corpus/" 2>/dev/null || true
  cp "$here/regressions/$name"/* "$dir/corpus/" 2>/dev/null || true
  echo "run-fuzzers.sh: $name for ${seconds} s ($dir/log)"
  # -timeout: one input slower than 10 s is a hang; -rss_limit_mb: 2 GB is a runaway
  # allocation. Both count as failures, as do crashes, sanitizer reports and leaks.
  status=0
  "$bin/smup_fuzz_$name" "${seed_option[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/findings/" "$dir/corpus" >"$dir/log" 2>&1 ||
    status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  last=$(grep -aE '^#[0-9]+' "$dir/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  findings=("$dir/findings"/*)
  result=ok
  if ((status != 0 || ${#findings[@]} > 0)); then
    result="FAILED (exit $status): ${findings[*]:-see the log}"
    failed=1
    grep -aE 'ERROR: |SUMMARY: |property broken|runtime error' "$dir/log" | head -5 >&2 || true
  fi
  summary+=$'\n'$(printf '%-14s %12s %8s %8s %8s  %s' "$name" "${executions:-?}" "${cov:-?}" \
    "${ft:-?}" "${#findings[@]}" "$result")
done

echo
echo "$summary"
exit $failed
