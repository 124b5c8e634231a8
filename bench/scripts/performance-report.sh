#!/usr/bin/env bash
# Regenerates docs/performance.md from ONE run of every measurement (issue 13): BenchmarkDotNet (Release,
# short job with 9 measured iterations in each of 2 processes per case) for the hot paths, `dmasim iova bench` for the four allocator workloads, and
# bench/scripts/cold-run.sh for the cold seed-suite run (plain, ReadyToRun and, unless AOT=0, Native AOT builds),
# bench/scripts/sweep-throughput.sh for sweeps end to end and bench/scripts/shard-speedup.sh for the speed-up across
# shards (issue 14), and bench/scripts/aot-check.sh (the AOT build's output byte-identical to the JIT build's for
# every command). Records the load average before and after.
# Usage: bench/scripts/performance-report.sh            (takes ~10-20 min on a loaded 2-core machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${PERF_OUT:-/tmp/dmasim-perf}
rm -rf "$out" && mkdir -p "$out"
cat /proc/loadavg > "$out/load-before.txt"
date -u +"%Y-%m-%d %H:%M UTC" > "$out/date.txt"
git rev-parse --short HEAD > "$out/commit.txt"
nproc > "$out/nproc.txt"
dotnet build bench/DmaSim.Benchmarks -c Release -v q -nologo >/dev/null
dotnet build src/DmaSim.Cli -c Release -v q -nologo >/dev/null
# 9 measured iterations, not the short job's 3 (on this shared VM a median of 3 moved by 30 % between runs), in two
# fresh processes per case, not in this one: in one process a case's tier-1 code carries the profile of the cases
# run before it, and the same case read 239 or 312 ns (lazy) with a standard deviation under 1 ns in each.
dotnet bench/DmaSim.Benchmarks/bin/Release/net10.0/DmaSim.Benchmarks.dll --job short --iterationCount 9 --launchCount 2 --buildTimeout 600 \
  --artifacts "$out/bdn" --exporters csv \
  --filter '*MapUnmapBenchmarks*' '*SwiotlbBenchmarks*' '*TranslationBenchmarks*' '*IotlbInvalidationBenchmarks*' \
           '*SeedSuiteBenchmarks*' '*SweepCellBenchmarks*' '*IovaRangeCacheBenchmarks*' '*IovaTreeBenchmarks*' > "$out/bdn.log" 2>&1
cli=src/DmaSim.Cli/bin/Release/net10.0/dmasim
"$cli" iova bench --workload cache-hit --format json > "$out/iova-cache-hit.json"
"$cli" iova bench --workload tree --live 256 --format json > "$out/iova-tree-256.json"
"$cli" iova bench --workload tree --live 65536 --format json > "$out/iova-tree-65536.json"
"$cli" iova bench --workload churn --format json > "$out/iova-churn.json"
"$cli" iova bench --workload full32 --reps 3 --format json > "$out/iova-full32.json"
COLD_RUN_NO_BUILD=1 bench/scripts/cold-run.sh 7 > "$out/cold-run.txt"
bench/scripts/sweep-throughput.sh "$out/sweep" 5 > "$out/sweep.txt"
# Shards as a cluster would run them: the AOT build when there is one (no JIT per shard process), else ReadyToRun.
shard_exe="$out/sweep/r2r/dmasim"; [ -x "$out/sweep/aot/dmasim" ] && shard_exe="$out/sweep/aot/dmasim"
DMASIM_EXE="$shard_exe" bench/scripts/shard-speedup.sh "$out/shards" > "$out/shards.txt"
basename "$(dirname "$shard_exe")" > "$out/shards-build.txt"
# The same split of a longer sweep (200 imported machines x 8 profiles x 3 command lines, 4,800 cells), where a
# process's start-up and first cells weigh less than in the 0.3 s seed sweep.
bench/scripts/make-fleet.sh "$out/shards-fleet/fleet" 200 >/dev/null
printf 'schema: dmasim-sweep/v1\nname: shard-fleet\nfleet: fleet\naxes:\n  profile: [linux-2.6.31, linux-2.6.32, linux-3.0, linux-4.19, linux-5.4, linux-5.10, linux-6.1, linux-6.12]\n  cmdline: ["intel_iommu=on", "intel_iommu=on iommu=pt", "intel_iommu=on,strict"]\n' > "$out/shards-fleet/fleet.yaml"
SHARD_SPEC="$out/shards-fleet/fleet.yaml" DMASIM_EXE="$shard_exe" bench/scripts/shard-speedup.sh "$out/shards-fleet/runs" > "$out/shards-fleet.txt"
COLD_RUN_NO_BUILD=1 DMASIM_EXE="$out/sweep/r2r/dmasim" bench/scripts/cold-run.sh 7 > "$out/cold-run-r2r.txt"
if [ "${AOT:-1}" != 0 ]; then
  COLD_RUN_NO_BUILD=1 DMASIM_EXE="$out/sweep/aot/dmasim" bench/scripts/cold-run.sh 7 > "$out/cold-run-aot.txt"
  # Every command of the AOT build against the JIT build (CI runs the same check on its own AOT publish).
  AOT_CHECK_NO_BUILD=1 bench/scripts/aot-check.sh "$out/sweep/aot/dmasim" > "$out/aot-check.txt"
fi
cat /proc/loadavg > "$out/load-after.txt"
python3 bench/scripts/performance_doc.py "$out" bench/scripts/performance.md.in > docs/performance.md
echo "docs/performance.md regenerated from $out"
