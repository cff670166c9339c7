#!/usr/bin/env bash
# Runs bench/run.sh once for each data shape at each size, one after the other, and ends with one table of
# their summaries (each run's own full output comes first, as it ends). A run that breaks is marked so in the
# table and the others still run; the exit status is then 1.
#
#   bash bench/matrix.sh                             # text and history, at 500 000 and 5 000 000 rows
#   bash bench/matrix.sh --sizes 500000              # the small size only
#   bash bench/matrix.sh --shapes history --runs 1   # any other flag goes to every run.sh
#
# Takes as long as its runs together; at the defaults each run.sh makes 11 backups and 11 restores with each tool.
set -euo pipefail

SHAPES="text history"
SIZES="500000 5000000"
RUN_ARGS=()
while (($#)); do
  case $1 in
    --shapes) (($# >= 2)) || { echo "--shapes needs a value" >&2; exit 2; }; SHAPES=$2; shift 2 ;;
    --sizes) (($# >= 2)) || { echo "--sizes needs a value" >&2; exit 2; }; SIZES=$2; shift 2 ;;
    --shape | --rows | --episodes | --history) echo "$1 is set by bench/matrix.sh itself" >&2; exit 2 ;;
    *) RUN_ARGS+=("$1"); shift ;;
  esac
done

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(mktemp -d -t podvault-matrix.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
HEADER=""
ROWS=()
FAILED=0
for size in $SIZES; do
  for shape in $SHAPES; do
    printf '[matrix %s] run.sh --shape %s --rows %s %s\n' "$(date +%H:%M:%S)" "$shape" "$size" "${RUN_ARGS[*]}" >&2
    if bash "$DIR/run.sh" --shape "$shape" --rows "$size" "${RUN_ARGS[@]}" | tee "$OUT/run.out"; then
      # run.sh ends with its summary's header and row.
      HEADER=$(tail -n 2 "$OUT/run.out" | head -n 1)
      ROWS+=("$(tail -n 1 "$OUT/run.out")")
    else
      FAILED=1
      ROWS+=("$(printf '%-8s %9s  run.sh failed (its output above)' "$shape" "~$size")")
    fi
  done
done

echo
echo "== matrix (ratio: podvault's median time over the stock tool's; file: podvault's backup)"
[[ -n $HEADER ]] && echo "$HEADER"
printf '%s\n' "${ROWS[@]}"
exit "$FAILED"
