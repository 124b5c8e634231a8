#!/usr/bin/env bash
# Speed-up across shards (issue 14 point 6): the seed sweep of docs/examples/seed-ram-cmdline.yaml run whole, then
# as N shards (N = 2, 4, 8) one after another on this machine, each shard process timed start to exit. N nodes of
# this kind running one shard each finish when the slowest shard does, so the speed-up is the whole run's time over
# the slowest shard's; the shards' total over the whole run is what sharding costs (each process starts the runtime
# and boots its own cells). Every N's merge is compared with the unsharded rows (cmp). Prints "key value" lines.
# Usage: bench/scripts/shard-speedup.sh OUT_DIR   (DMASIM_EXE: the dmasim to time, default the plain Release build;
#        SHARD_SPEC: the sweep to split, default the seed sweep)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$1"; mkdir -p "$out"
exe="${DMASIM_EXE:-src/DmaSim.Cli/bin/Release/net10.0/dmasim}"
spec="${SHARD_SPEC:-docs/examples/seed-ram-cmdline.yaml}"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
whole=$(ms "$exe" sweep "$spec" -o "$out/whole" --quiet)
echo "shard-whole-ms $whole"
for n in 2 4 8; do
  times=()
  for i in $(seq 0 $((n - 1))); do times+=("$(ms "$exe" sweep "$spec" --shard "$i/$n" -o "$out/n$n-$i" --quiet)")
  done
  dirs=(); for i in $(seq 0 $((n - 1))); do dirs+=("$out/n$n-$i"); done
  "$exe" sweep "$spec" merge "${dirs[@]}" -o "$out/n$n-merged" >/dev/null
  cmp -s "$out/n$n-merged/rows.jsonl" "$out/whole/rows.jsonl" && same=yes || same=no
  max=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
  sum=$(printf '%s\n' "${times[@]}" | awk '{t += $1} END {print t}')
  echo "shard-$n-ms ${times[*]}"
  echo "shard-$n-speedup $(awk -v a="$whole" -v b="$max" 'BEGIN {printf "%.2f", a / b}')"
  echo "shard-$n-total-over-whole $(awk -v a="$sum" -v b="$whole" 'BEGIN {printf "%.2f", a / b}')"
  echo "shard-$n-merge-equals-whole $same"
done
