#!/usr/bin/env bash
# Publishes dmasim for sweeps and clusters (docs/sweeps.md), linux-x64, in one of two forms:
#  - ReadyToRun (default): self-contained and composite: crossgen2 compiles the app and the .NET framework as one
#    version bubble, so framework generics over the app's types (Dictionary<ulong, …>, List<struct>, LINQ over
#    them: about 1,200 methods a framework-dependent ReadyToRun build still JIT-compiles at start-up) are
#    precompiled too; hot methods are still recompiled by the tiered JIT. No .NET runtime needed where it runs
#    (about 110 MB on disk). Cold seed suite on 2026-12-07: median 632–725 ms against 973–1,015 ms for the
#    framework-dependent ReadyToRun build it replaced (interleaved, 7 runs each; outputs byte-identical).
#  - Native AOT (`aot`): one self-contained native executable, no JIT and no runtime to install; needs a C
#    toolchain to build (clang, or gcc when clang is absent). Its output is byte-identical to the JIT build's
#    (bench/scripts/aot-check.sh); docs/performance.md, "Native AOT".
# Usage: bench/scripts/publish.sh [DIR]        ReadyToRun into DIR (default artifacts/dmasim)
#        bench/scripts/publish.sh aot [DIR]    Native AOT into DIR (default artifacts/dmasim-aot)
# Prints the path of the executable.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = aot ]; then
  dir="${2:-artifacts/dmasim-aot}"
  linker=(); command -v clang >/dev/null 2>&1 || linker=(-p:CppCompilerAndLinker=gcc)
  # x86-64-v3 (AVX2, every x86 server since 2013): the payload fill and the span compares run in 256-bit lanes;
  # the default baseline would leave them in 128-bit ones. The answers are the same (the vector and scalar paths
  # compute one function); set ISA=x86-64-v2 for older machines, or ISA=native to build for the CPU you build on
  # (on AVX-512 machines the fill runs in 512-bit lanes with a native 64-bit multiply: in one interleaved A/B here
  # on 2026-12-06 the seed sweep took a median 0.66 s native against 0.83 s x86-64-v3, 6 runs each, noisy VM).
  dotnet publish src/DmaSim.Cli -c Release -r linux-x64 -p:PublishAot=true -p:IlcInstructionSet="${ISA:-x86-64-v3}" "${linker[@]}" -o "$dir" -v q -nologo >/dev/null
else
  dir="${1:-artifacts/dmasim}"
  dotnet publish src/DmaSim.Cli -c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=true \
    -p:PublishReadyToRunComposite=true -o "$dir" -v q -nologo >/dev/null
fi
echo "$dir/dmasim"
