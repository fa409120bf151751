#!/usr/bin/env bash
# One `make bench` run as the README's markdown tables: the suite's targets checked
# (float32, 4096 x 4096 weights, batch 256, one thread unless a row says otherwise), the
# speed-up over dense by density, and the whole-MLP training step (models.csv).
#   bench/summary.sh [bench-results]
set -euo pipefail
dir="${1:-bench-results}"
for f in kernels.csv memory.csv; do
  [[ -f "$dir/$f" ]] || { echo "targets: $dir/$f: no such file (run make bench)" >&2; exit 1; }
done
awk -F, '
  FNR == 1 { file++; next }
  file == 1 && $3 == 4096 && $4 == 4096 && $5 == 256 {   # kernels.csv
    key = $1 "," $2 "," $6 "," $7; ms[key] = $8; vs_dense[key] = $10; vs_spmv[key] = $11
  }
  file == 2 && $2 == 4096 && $3 == 4096 { mem[$1 "," $4] = $9 }   # memory.csv
  function row(what, pattern, value, goal, at_least) {
    if (value == "") { printf "| %s | %s | not measured | %s | - |\n", what, pattern, goal; return }
    met = at_least ? value >= goal_value : value <= goal_value
    printf "| %s | %s | %.2f | %s | %s |\n", what, pattern, value, goal, met ? "met" : "missed"
  }
  function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : a / b }
  END {
    print "| target | pattern | measured | goal | |"
    print "|---|---|---|---|---|"
    goal_value = 5;  row("forward vs dense, density 1/16", "unstructured", vs_dense["forward,unstructured,0.0625,1"], ">= 5x", 1)
    goal_value = 10; row("forward vs KokkosSparse::spmv, density 1/16", "unstructured", vs_spmv["forward,unstructured,0.0625,1"], ">= 10x", 1)
    goal_value = 6;  row("forward vs dense, density 1/8", "block32x32", vs_dense["forward,block32x32,0.125,1"], ">= 6x", 1)
    goal_value = 1.2; row("forward vs dense, density 1/2", "nm2:4", vs_dense["forward,nm2:4,0.5,1"], ">= 1.2x", 1)
    n = split("unstructured nm1:16 nm2:4 block32x32", pats, " ")
    for (i = 1; i <= n; ++i) {
      p = pats[i]; d = (p == "nm2:4") ? "0.5" : "0.0625"
      goal_value = 1.5
      row("backward-data time / forward time, density " (d == "0.5" ? "1/2" : "1/16"), p, ratio(ms["backward_data," p "," d ",1"], ms["forward," p "," d ",1"]), "<= 1.5", 0)
      row("weight-gradient time / forward time, density " (d == "0.5" ? "1/2" : "1/16"), p, ratio(ms["weight_gradient," p "," d ",1"], ms["forward," p "," d ",1"]), "<= 1.5", 0)
    }
    n = split("unstructured nm1:16 block32x32", pats, " ")
    for (i = 1; i <= n; ++i) { goal_value = 4; row("layer step (all three) vs dense step, density 1/16", pats[i], vs_dense["step," pats[i] ",0.0625,1"], ">= 4x", 1) }
    for (i = 1; i <= n; ++i) { goal_value = 1.5; row("bytes (weights + indices + Adam) / (rho x dense), density 1/16", pats[i], mem[pats[i] ",0.0625"] == "" ? "" : mem[pats[i] ",0.0625"] / 0.0625, "<= 1.5", 0) }
    n = split("unstructured nm2:4 nm1:16 block32x32", pats, " ")
    for (i = 1; i <= n; ++i) {
      p = pats[i]; d = (p == "nm2:4") ? "0.5" : "0.0625"
      goal_value = 1.7
      row("forward, 2 threads vs 1 thread, density " (d == "0.5" ? "1/2" : "1/16"), p, ratio(ms["forward," p "," d ",1"], ms["forward," p "," d ",2"]), ">= 1.7x", 1)
    }
  }' "$dir/kernels.csv" "$dir/memory.csv"

# Backward-data against forward at a transformer MLP's shapes, batch 512, one thread.
echo
echo "| shape (out x in), batch 512 | pattern | density | forward vs dense | backward-data vs dense | backward-data / forward | goal | |"
echo "|---|---|---|---|---|---|---|---|"
awk -F, '
  FNR > 1 && $5 == 512 && $7 == 1 && $2 != "dense" && ($1 == "forward" || $1 == "backward_data") {
    key = $3 " x " $4 "|" $2 "|" $6
    if (!(key in seen)) { seen[key] = 1; keys[++n] = key }
    ms[key, $1] = $8; vs_dense[key, $1] = $10
  }
  END {
    for (i = 1; i <= n; ++i) {
      split(keys[i], k, "|"); f = ms[keys[i], "forward"]; b = ms[keys[i], "backward_data"]
      if (f == "" || b == "") continue
      printf "| %s | %s | 1/%d | %.2f | %.2f | %.2f | <= 1.5 | %s |\n", k[1], k[2], 1 / k[3] + 0.5,
        vs_dense[keys[i], "forward"], vs_dense[keys[i], "backward_data"], b / f, b / f <= 1.5 ? "met" : "missed"
    }
  }' "$dir/kernels.csv"

# Forward and layer-step speed-up over dense (time of dense / time of the pattern).
echo
awk -F, '
  FNR == 1 { next }
  $3 == 4096 && $4 == 4096 && $7 == 1 && ($1 == "forward" || $1 == "step") && $2 != "dense" && $2 != "kokkos_spmv" && $2 != "nm2:4" {
    d = $6; p = $2; if (p ~ /^nm/) p = "nm1:M"
    if (!(p in seen)) { seen[p] = 1; pats[++np] = p }
    if (!(d in dseen)) { dseen[d] = 1; ds[++nd] = d }
    v[$1, p, d] = $10
  }
  END {
    header = "| density |"; rule = "|---|"
    for (i = 1; i <= np; ++i) { header = header " " pats[i] " fwd / step |"; rule = rule "---|" }
    print header; print rule
    for (j = 1; j <= nd; ++j) {
      line = sprintf("| 1/%d |", 1 / ds[j] + 0.5)
      for (i = 1; i <= np; ++i) {
        f = v["forward", pats[i], ds[j]]; s = v["step", pats[i], ds[j]]
        line = line (f == "" ? " - |" : sprintf(" %.2f / %.2f |", f, s))
      }
      print line
    }
  }' "$dir/kernels.csv"

if [[ -f "$dir/models.csv" ]]; then
  # One training step of a whole model; "per second" counts images (MLP) or tokens (GPT).
  echo
  echo "| model | width | pattern | density | threads | ms per step | per second | speed-up | bytes (MB) | bytes vs dense |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  awk -F, 'FNR > 1 { printf "| %s | %s | %s | %s | %s | %.1f | %.0f | %.2f | %.1f | %.3f |\n", $1, $3, $2, ($6 == 1 ? "1" : sprintf("1/%d", 1 / $6 + 0.5)), $7, $8, $5 * 1000 / $8, $9, $13 / 1e6, $14 }' "$dir/models.csv"
fi
