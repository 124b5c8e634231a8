#!/usr/bin/env bash
# Builds the fleet folder of the issue-14 fleet benchmark (docs/performance.md): N machines (default 1000)
# made of copies of the real kernel logs in samples/dmesg, each next to its real DMAR table from samples/dmar.
# Only five real logs here carry a boot's memory map (import needs it), so machine i is a byte-for-byte copy of log (i mod 5) under its own
# name (<log stem>_fleetNNNN.dmesg.txt); a copy's name keeps the log's prefix, so the sweep pairs it with the same
# table the original pairs with. Nothing is invented: the fleet measures the machine axis, the on-the-fly import
# and the cells of 1,000 imported machines, not 1,000 different machines.
# Usage: bench/scripts/make-fleet.sh DIR [N] [SOURCE]   (SOURCE: a folder with dmesg/ and dmar/, default samples)
set -euo pipefail
dir="$1"; n="${2:-1000}"; src="${3:-$(dirname "$0")/../../samples}"
mkdir -p "$dir"
# Only logs `dmasim import` can build a machine from: those that carry the boot's BIOS-e820 memory map.
logs=()
for log in "$src"/dmesg/*.dmesg.txt; do grep -q 'BIOS-e820' "$log" && logs+=("$log"); done
for log in "${logs[@]}"; do
  name=$(basename "$log" .dmesg.txt)
  for table in "$src"/dmar/*.dat; do
    stem=$(basename "$table" .dat)
    case "$name" in "$stem"_*|"$stem"-*) cp "$table" "$dir/" ;; esac
  done
done
for i in $(seq 0 $((n - 1))); do
  log="${logs[$((i % ${#logs[@]}))]}"
  cp "$log" "$dir/$(basename "$log" .dmesg.txt)_fleet$(printf '%04d' "$i").dmesg.txt"
done
echo "$dir: $n machines from ${#logs[@]} real logs, $(ls "$dir"/*.dat 2>/dev/null | wc -l) DMAR tables"
