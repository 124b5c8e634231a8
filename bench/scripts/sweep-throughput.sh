#!/usr/bin/env bash
# Sweep throughput end to end (issue 14 point 6): the seed sweep of docs/examples/seed-ram-cmdline.yaml (every
# profile × 2 command lines × 4 RAM sizes × 3 descriptor widths × 2 coherent masks), process start to exit,
# with the plain Release build, the ReadyToRun build of bench/scripts/publish.sh and, unless AOT=0, its Native AOT
# build (bench/scripts/publish.sh aot, for this machine's instruction set: ISA=native unless ISA says otherwise,
# as a build made on the machine that runs it would be); then, unless
# FLEET=0, a fleet of FLEET (default 1000) imported machines × 8 profiles × 3 command lines (make-fleet.sh) with
# the Native AOT build (the ReadyToRun one when AOT=0). Prints one "key value" line per measurement.
# Usage: bench/scripts/sweep-throughput.sh OUT_DIR [runs]   (default 5 runs of the seed sweep per build)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$1"; runs="${2:-5}"; fleet="${FLEET:-1000}"
mkdir -p "$out"
dotnet build src/DmaSim.Cli -c Release -v q -nologo >/dev/null
r2r=$(bench/scripts/publish.sh "$out/r2r")
builds="plain r2r"
if [ "${AOT:-1}" != 0 ]; then
  aot=$(ISA="${ISA:-native}" bench/scripts/publish.sh aot "$out/aot"); builds="plain r2r aot"
  echo "aot-isa ${ISA:-native}"
fi
spec=docs/examples/seed-ram-cmdline.yaml
cells=$(src/DmaSim.Cli/bin/Release/net10.0/dmasim sweep "$spec" --quiet | head -1 | sed -E 's/^sweep [^:]+: ([0-9]+) cells.*/\1/')
echo "seed-cells $cells"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for build in $builds; do
  exe=src/DmaSim.Cli/bin/Release/net10.0/dmasim; [ "$build" = r2r ] && exe="$r2r"; [ "$build" = aot ] && exe="$aot"
  for _ in $(seq "$runs"); do
    start=$(date +%s%N); "$exe" sweep "$spec" -o "$out/seed-$build" --quiet >/dev/null; end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
  done > "$out/seed-$build-ms.txt"
  echo "seed-$build-ms $(tr '\n' ' ' < "$out/seed-$build-ms.txt")"
  echo "seed-$build-median-ms $(median < "$out/seed-$build-ms.txt")"
done
for build in $builds; do
  for f in rows.jsonl rows.parquet; do cmp "$out/seed-plain/$f" "$out/seed-$build/$f"; done
done
echo "seed-builds-agree yes"
if [ "$fleet" != 0 ]; then
  bench/scripts/make-fleet.sh "$out/fleet" "$fleet" >/dev/null
  printf 'schema: dmasim-sweep/v1\nname: fleet\nfleet: fleet\naxes:\n  profile: [linux-2.6.31, linux-2.6.32, linux-3.0, linux-4.19, linux-5.4, linux-5.10, linux-6.1, linux-6.12]\n  cmdline: ["intel_iommu=on", "intel_iommu=on iommu=pt", "intel_iommu=on,strict"]\n' > "$out/fleet.yaml"
  fleet_exe="$r2r"; fleet_build="ReadyToRun"; [ "${AOT:-1}" != 0 ] && { fleet_exe="$aot"; fleet_build="Native AOT"; }
  echo "fleet-build $fleet_build"
  /usr/bin/time -f "fleet-wall-s %e\nfleet-user-s %U\nfleet-sys-s %S\nfleet-rss-kb %M" "$fleet_exe" sweep "$out/fleet.yaml" -o "$out/fleet-out" --quiet 2>"$out/fleet-time.txt" >"$out/fleet-summary.txt"
  echo "fleet-machines $fleet"
  echo "fleet-cells $(head -1 "$out/fleet-summary.txt" | sed -E 's/^sweep [^:]+: ([0-9]+) cells, ([0-9]+) rows.*/\1/')"
  echo "fleet-rows $(head -1 "$out/fleet-summary.txt" | sed -E 's/^sweep [^:]+: ([0-9]+) cells, ([0-9]+) rows.*/\2/')"
  cat "$out/fleet-time.txt"
fi
