#!/usr/bin/env bash
# Publishes dmasim as a ReadyToRun build (framework-dependent, linux-x64): the assemblies carry native code
# compiled ahead of time by crossgen2, so a process starts without JIT-compiling the pipeline; hot methods are
# still recompiled by the tiered JIT. This is the build to put on a cluster's shared storage for sweeps
# (docs/sweeps.md) and the one bench/scripts/sweep-throughput.sh measures beside the plain build.
# Usage: bench/scripts/publish.sh [DIR]   (default artifacts/dmasim; prints the path of the executable)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${1:-artifacts/dmasim}"
dotnet publish src/DmaSim.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$dir" -v q -nologo >/dev/null
echo "$dir/dmasim"
