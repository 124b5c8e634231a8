#!/usr/bin/env bash
# The Native AOT build must say exactly what the JIT build says (issue 13.1, 14.6): runs every command of
# dmasim with both and compares stdout, stderr, exit codes and every file written, byte for byte.
# Usage: bench/scripts/aot-check.sh [AOT_EXE]   (default: publishes one with bench/scripts/publish.sh aot)
# JIT_EXE=PATH compares with another JIT build than the Release build (built here unless AOT_CHECK_NO_BUILD=1).
# Prints one "same: ..." line per check, "aot-check: N checks, all byte-identical" at the end; exits 1 at the first difference.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${AOT_CHECK_NO_BUILD:-}" = 1 ] || dotnet build src/DmaSim.Cli -c Release -v q -nologo >/dev/null
jit="${JIT_EXE:-src/DmaSim.Cli/bin/Release/net10.0/dmasim}"
aot="${1:-$(bench/scripts/publish.sh aot)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checks=0
# check NAME ARGS...: runs both builds in their own folder (for files written with relative paths), compares everything.
check() {
  local name="$1"; shift
  for build in jit aot; do
    local exe="$jit"; [ "$build" = aot ] && exe="$aot"
    mkdir -p "$work/$build/$name"
    set +e
    (cd "$work/$build/$name" && "$exe" "$@" >"../$name.stdout" 2>"../$name.stderr"; echo $? >"../$name.rc")
    set -e
  done
  if ! diff -r "$work/jit" "$work/aot" >"$work/diff.txt"; then
    echo "DIFFERENT: $name ($*)"; head -20 "$work/diff.txt"; exit 1
  fi
  checks=$((checks + 1))
  echo "same: $name (exit $(cat "$work/jit/$name.rc"))"
}
case "$jit" in /*) ;; *) jit="$PWD/$jit" ;; esac
case "$aot" in /*) ;; *) aot="$PWD/$aot" ;; esac
r=$PWD
spec="$r/docs/examples/seed-ram-cmdline.yaml"
check suite-json run --format json
check suite-text run
check suite-html run --html report.html
check seed-all-profiles run "$r/scenarios/seed/smartarray-passthrough.yaml" --profile all --format json
check seed-log run "$r/scenarios/seed/mask40-on-44bit.yaml" --profile linux-2.6.32 --log
check seed-sweep sweep "$spec" -o out --html out/heat.html --quiet
check seed-sweep-jsonl sweep "$spec" --format jsonl --quiet
check shard-0 sweep "$spec" -o s0 --shard 0/2 --quiet
check shard-1 sweep "$spec" -o s1 --shard 1/2 --quiet
mkdir -p "$work/shards" && cp -r "$work/jit/shard-0/s0" "$work/jit/shard-1/s1" "$work/shards/"
check merge sweep merge "$work/shards/s0" "$work/shards/s1" -o merged
for f in rows.jsonl rows.parquet; do cmp "$work/jit/merge/merged/$f" "$work/jit/seed-sweep/out/$f"; done
echo "same: merge of 2 shards = the unsharded sweep (rows.jsonl, rows.parquet)"
check bisect bisect "$r/scenarios/seed/smartarray-passthrough.yaml" --good linux-2.6.32-rc5+dwmw2 --bad linux-2.6.32-rc5
check dmar-decode dmar decode "$r/samples/dmar/hp-z400_FF7C21B8CB39.dat"
check dmar-decode-json dmar decode "$r/samples/dmar/hp-z400_FF7C21B8CB39.dat" --format json
check dmar-lint dmar lint "$r/samples/dmar/hp-compaq-dc7800-sff_80DC1538C4FA.dat" --format json
check dmar-summary dmar summary "$r/samples/dmar/hp-proliant-dl380e-gen8_CB05571909C8.dat"
check import import --dmesg "$r/samples/dmesg/hp-z400_FF7C21B8CB39_5.4.0-4-amd64-debian.dmesg.txt" --dmar "$r/samples/dmar/hp-z400_FF7C21B8CB39.dat" -o z400.yaml
check iova-replay iova replay "$r/samples/iova-traces/tree-mixed.csv.gz"
check completion completion bash
check help --help
check about about
check bad-input run "$r/docs/examples/seed-ram-cmdline.yaml"
# Timing commands: their numbers differ from run to run, so only the exit code and the JSON field names are compared.
runs() {
  local name="$1"; shift
  local a b
  a=$("$jit" "$@" | grep -o '"[A-Za-z0-9]*":' | tr -d '\n'; echo " ${PIPESTATUS[0]}")
  b=$("$aot" "$@" | grep -o '"[A-Za-z0-9]*":' | tr -d '\n'; echo " ${PIPESTATUS[0]}")
  [ "$a" = "$b" ] || { echo "DIFFERENT: $name ($*): $a / $b"; exit 1; }
  echo "same fields and exit code: $name"
}
runs iova-bench iova bench --workload cache-hit --format json
runs map-bench bench --mode strict --threads 1 --seconds 1 --format json
echo "aot-check: $checks checks, all byte-identical"
