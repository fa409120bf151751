#!/usr/bin/env bash
# Prints CSV files as aligned tables (empty fields stay empty), one after another.
#   bench/print-table.sh bench-results/kernels.csv [more.csv ...]
set -euo pipefail
for file in "$@"; do
  [[ -f "$file" ]] || { echo "print-table: $file: no such file" >&2; exit 1; }
  echo
  echo "== $file"
  awk -F, '
    { for (i = 1; i <= NF; ++i) { cell[NR, i] = $i; if (length($i) > width[i]) width[i] = length($i) }
      if (NF > columns) columns = NF }
    END {
      for (r = 1; r <= NR; ++r) {
        line = ""
        for (i = 1; i <= columns; ++i) {
          # Text left-aligned, numbers right-aligned.
          v = cell[r, i]
          if (v ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/) line = line sprintf("%*s", width[i], v)
          else line = line sprintf("%-*s", width[i], v)
          if (i < columns) line = line "  "
        }
        sub(/ +$/, "", line)
        print line
      }
    }' "$file"
done
