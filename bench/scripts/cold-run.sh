#!/usr/bin/env bash
# Cold `dmasim run` of the whole seed suite, process start to exit (target <= 1.0 s, issue 13), and peak RSS of the
# 16 TiB scenario (target <= 200 MB). BenchmarkDotNet cannot time a fresh runtime start, so this does.
# Usage: bench/scripts/cold-run.sh [runs]   (default 11; prints every run and the median)
# DMASIM_EXE=PATH times another build (e.g. the ReadyToRun one of bench/scripts/publish.sh) instead of the Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-11}"
# COLD_RUN_NO_BUILD=1: the caller has just built the Release CLI (performance-report.sh does).
[ "${COLD_RUN_NO_BUILD:-}" = 1 ] || dotnet build src/DmaSim.Cli -c Release -v q -nologo >/dev/null
exe="${DMASIM_EXE:-src/DmaSim.Cli/bin/Release/net10.0/dmasim}"
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$exe" run >/dev/null
  end=$(date +%s%N)
  times+=("$(( (end - start) / 1000000 ))")
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "seed suite cold run (ms): ${times[*]}"
echo "median: ${sorted[$(( runs / 2 ))]} ms  min: ${sorted[0]} ms  max: ${sorted[$(( runs - 1 ))]} ms"
/usr/bin/time -v "$exe" run bench/scenarios/sixteen-tib.yaml 2>/tmp/dmasim-rss.txt >/dev/null
grep -E "Maximum resident set size|Elapsed \(wall" /tmp/dmasim-rss.txt | sed 's/^\s*/16 TiB scenario: /'
