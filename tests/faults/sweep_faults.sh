#!/usr/bin/env bash
# Faults injected into a real sweep (an example's --smoke run), each checked against the
# sweep run once without faults:
#
#   sweep_faults.sh MODE EXAMPLE DIR REFERENCE_DIR [EXAMPLE_ARGS...]
#
#   reference  run the sweep once without faults into REFERENCE_DIR
#   killed     stop the sweep (SIGSTOP) after its first row lands; a second runner on the
#              same folder must refuse at once (the file is locked); kill -9 the first; the
#              rerun must finish with exactly the reference's rows, none lost or twice
#   partial    the CSV's last line is cut short (no newline, fields missing): the rerun
#              says it dropped it, naming the file, trains that run again, and ends with
#              exactly the reference's rows (the next row not glued onto the partial one)
#   malformed  a complete row in the middle holds a loss that is not a number: the rerun
#              is an error naming the file and the line, and the file is left as it was
#   full_disk  appending a row fails (a file size limit: EFBIG, as a full disk's ENOSPC):
#              the run stops with an error naming the file and giving the lost row; the
#              file keeps whole rows, and a rerun without the limit completes it
#   report     the report cannot be written (same limit): an error naming that file
#
# The sweep writes DIR/transfer.csv (examples 01 and 03). Exit 0: passed; 77: skipped.
set -u
mode=$1 example=$2 dir=$3 reference=$4
shift 4
args=(--smoke "$@")
csv="$dir/transfer.csv"
expected="$reference/transfer.csv"
log="$dir.log"
mkdir -p "$(dirname "$dir")" "$(dirname "$reference")"

fail() {
  echo "FAIL ($mode): $*"
  [ -f "$log" ] && { echo "--- output of the last run:"; cat "$log"; }
  exit 1
}
# Complete rows of a CSV: lines after the header that end in a newline.
rows() { if [ -f "$1" ]; then tail -n +2 "$1" | wc -l; else echo 0; fi; }
# Waits up to 60 s for the CSV `$1` to hold a complete row.
wait_for_row() {
  for _ in $(seq 1200); do
    [ "$(rows "$1")" -ge 1 ] && return 0
    sleep 0.05
  done
  return 1
}
same_as_reference() {
  cmp -s "$csv" "$expected" || {
    diff "$csv" "$expected"
    fail "$csv differs from the uninterrupted sweep's $expected (above: < resumed, > reference)"
  }
  echo "$csv holds the uninterrupted sweep's $(rows "$expected") rows, once each, in order"
}
# DIR afresh, holding a copy of the reference's CSV.
start_from_reference() {
  rm -rf "$dir" && mkdir -p "$dir" || fail "cannot make $dir"
  cp "$expected" "$csv" || fail "no reference CSV at $expected (run the reference first)"
}

case "$mode" in
reference)
  rm -rf "$reference"
  "$example" "${args[@]}" --out "$reference" >"$reference.log" 2>&1 ||
    { cat "$reference.log"; echo "FAIL (reference): the sweep without faults failed"; exit 1; }
  echo "reference: $(rows "$expected") runs in $expected"
  ;;

killed)
  rm -rf "$dir" "$log"
  total=$(rows "$expected")
  "$example" "${args[@]}" --out "$dir" >"$dir.first.log" 2>&1 &
  first=$!
  wait_for_row "$csv" || { kill -9 "$first"; fail "no row landed in $csv within 60 s"; }
  # Stopped, the first runner holds its file for as long as the second needs, however fast
  # the sweep is; a second runner on the same folder must then stop at once.
  kill -STOP "$first" || fail "the sweep ended before its first row was seen; it needs more runs"
  start=$(date +%s)
  "$example" "${args[@]}" --out "$dir" >"$log" 2>&1
  second=$?
  kill -9 "$first"
  wait "$first" 2>/dev/null
  [ "$second" -ne 0 ] || fail "a second runner on $dir succeeded while the first held $csv"
  grep -q "'$csv' is in use: another process" "$log" ||
    fail "the second runner's error does not name $csv as held by another process"
  [ $(($(date +%s) - start)) -le 5 ] || fail "the second runner took more than 5 s to refuse"
  echo "a second runner refused at once: $(grep -o "'$csv' is in use: another process" "$log")"
  kept=$(rows "$csv")
  [ "$kept" -ge 1 ] && [ "$kept" -lt "$total" ] ||
    fail "killed with $kept of $total rows written: not in the middle of the sweep"
  echo "killed with kill -9 after $kept of $total runs"
  # The lock died with its holder: the rerun goes on where the sweep stopped.
  "$example" "${args[@]}" --out "$dir" >"$log" 2>&1 || fail "the rerun after kill -9 failed"
  grep -Eq "sweep: $((total - kept)) runs trained, $kept kept" "$log" ||
    fail "the rerun did not train exactly the $((total - kept)) runs missing"
  same_as_reference
  ;;

partial)
  start_from_reference
  # Cut the last row in its middle: no newline, half its fields gone.
  last=$(tail -n 1 "$expected")
  head -c -$((${#last} / 2 + 1)) "$expected" >"$csv"
  "$example" "${args[@]}" --out "$dir" >"$log" 2>&1 || fail "the rerun over a cut-short row failed"
  grep -q "dropped the unfinished last line of '$csv'" "$log" ||
    fail "no message on stderr that the unfinished last line of $csv was dropped"
  grep -q "sweep: 1 runs trained, $(($(rows "$expected") - 1)) kept" "$log" ||
    fail "the rerun did not train exactly the run of the dropped line"
  echo "$(grep -o "dropped the unfinished last line of '$csv' ([^)]*)" "$log")"
  same_as_reference
  ;;

malformed)
  start_from_reference
  # Line 4: the val_loss (7th field) of a complete row made unreadable.
  awk -F, 'BEGIN { OFS = "," } NR == 4 { $7 = $7 "x" } { print }' "$expected" >"$csv"
  cp "$csv" "$dir/before.csv"
  "$example" "${args[@]}" --out "$dir" >"$log" 2>&1 && fail "a sweep over a damaged row succeeded"
  grep -q "'$csv' line 4 has '[^']*x' in column 'val_loss'" "$log" ||
    fail "the error does not name $csv, line 4 and the column"
  cmp -s "$csv" "$dir/before.csv" || fail "the sweep changed $csv after refusing it"
  echo "refused: $(grep -o "'$csv' line 4 has '[^']*' in column 'val_loss'" "$log")"
  ;;

full_disk | report)
  command -v prlimit >/dev/null || { echo "SKIP: no prlimit (util-linux)"; exit 77; }
  start_from_reference
  [ "$mode" = full_disk ] && head -n -1 "$expected" >"$csv" # the last run to be done again
  cp "$csv" "$dir/before.csv"
  # Writing past the limit fails with EFBIG instead of killing the process with SIGXFSZ,
  # also for root, whom a read-only folder would not stop.
  limit=$(($(stat -c %s "$csv") + 16))
  trap '' XFSZ
  prlimit --fsize="$limit": -- "$example" "${args[@]}" --out "$dir" >"$log" 2>&1 &&
    fail "the sweep succeeded although no file could grow past $limit bytes"
  trap - XFSZ
  if [ "$mode" = full_disk ]; then
    grep -q "cannot append to '$csv': writing failed (File too large)" "$log" ||
      fail "the error does not name $csv and the failed write"
    grep -q "could not be recorded.*Its row would have read: $(tail -n 1 "$expected" | cut -d, -f1-5)," \
      "$log" || fail "the error does not give the row that could not be written"
    cmp -s "$csv" "$dir/before.csv" || fail "the failed append left a partial row in $csv"
    echo "stopped: $(grep -o "cannot append to '$csv': writing failed ([^)]*)" "$log")"
    "$example" "${args[@]}" --out "$dir" >"$log" 2>&1 || fail "the rerun without the limit failed"
    same_as_reference
  else
    grep -Eq "cannot write '$dir/transfer\.(svg|md)': writing failed \(File too large\)" "$log" ||
      fail "the error does not name the report file that could not be written"
    echo "stopped: $(grep -Eo "cannot write '[^']*': writing failed \([^)]*\)" "$log")"
  fi
  ;;

*)
  echo "unknown mode '$mode'"
  exit 2
  ;;
esac
