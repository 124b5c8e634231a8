#!/usr/bin/env python3
"""Fills bench/scripts/performance.md.in with the numbers of one performance-report.sh run.

Usage: performance_doc.py OUT_DIR TEMPLATE > docs/performance.md
Every number in the generated page comes from OUT_DIR; nothing is typed in by hand except the anchors
(Linux 6.12 iova.c and the "before" BenchmarkDotNet medians, both quoted from issue 13) and the commit
that makes each claim.
"""
import csv, glob, json, os, re, sys

out, template = sys.argv[1], sys.argv[2]
UNITS = {"ns": 1.0, "μs": 1e3, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}

def read(name):
    with open(os.path.join(out, name)) as f:
        return f.read().strip()

def to_ns(text):
    m = re.match(r"([\d,.]+)\s*(\S+)", text or "")
    return float(m.group(1).replace(",", "")) * UNITS[m.group(2)] if m else None

def to_bytes(text):
    if not text or text.strip() in ("-", "NA"): return 0.0
    m = re.match(r"([\d,.]+)\s*(\S+)", text)
    return float(m.group(1).replace(",", "")) * {"B": 1, "KB": 1024, "MB": 1024 ** 2}[m.group(2)]

bdn = {}
for path in glob.glob(os.path.join(out, "bdn", "results", "*-report.csv")):
    cls = os.path.basename(path).split("-report")[0].split(".")[-1]
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    params = head[head.index("WarmupCount") + 1: head.index("Mean")]
    for r in rows[1:]:
        d = dict(zip(head, r))
        key = cls + "." + d["Method"] + "".join(f"({p}={d[p]})" for p in params)
        bdn[key] = (to_ns(d["Median"]), to_ns(d["Min"]), to_bytes(d.get("Allocated")))

def b(key):
    return bdn.get(key, (None, None, None))

def iova(name):
    try:
        return json.loads(read(f"iova-{name}.json"))
    except (OSError, ValueError):
        return {}

def fmt(ns):
    if ns is None: return "n/a"
    if ns >= 1e6: return f"{ns / 1e6:,.2f} ms"
    if ns >= 1e4: return f"{ns / 1e3:,.1f} µs"
    return f"{ns:,.1f} ns" if ns < 100 else f"{ns:,.0f} ns"

def ratio(value, target):
    if value is None or not target: return "n/a"
    r = value / target
    return f"{r:.2f} {'✓' if r <= 1 else '✗'}"

cold = read("cold-run.txt")
cold_median = re.search(r"median: (\d+) ms", cold)
cold_ns = float(cold_median.group(1)) * 1e6 if cold_median else None
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", cold)

def optional(name):
    try:
        return read(name)
    except OSError:
        return ""

cold_r2r = optional("cold-run-r2r.txt")
cold_r2r_median = re.search(r"median: (\d+) ms", cold_r2r)
cold_r2r_ns = float(cold_r2r_median.group(1)) * 1e6 if cold_r2r_median else None
cold_aot = optional("cold-run-aot.txt")
cold_aot_median = re.search(r"median: (\d+) ms", cold_aot)
cold_aot_ns = float(cold_aot_median.group(1)) * 1e6 if cold_aot_median else None
aot_check = optional("aot-check.txt")
sweep = dict(line.split(" ", 1) for line in optional("sweep.txt").splitlines() if " " in line)
seed_cells = int(sweep.get("seed-cells", "0") or 0)

def per_cell_ns(build):
    ms = sweep.get(f"seed-{build}-median-ms")
    return float(ms) * 1e6 / seed_cells if ms and seed_cells else None

def rate(ns_per_cell):
    return f"{1e9 / ns_per_cell:,.0f} cells/s" if ns_per_cell else "n/a"

fleet_wall = float(sweep["fleet-wall-s"]) if "fleet-wall-s" in sweep else None

C_IOTLB, C_ALLOC, C_TOOL = "f6fa859", "f948328", "611cdca"
C_TREE = "06c3cc3, 465d78b, 42297a3, 013f715, 23b28d2"
S, L, P, D = (b(f"MapUnmapBenchmarks.MapUnmap4K(Mode={m})") for m in ("Strict", "Lazy", "Passthrough", "Direct"))
sw = b("SwiotlbBenchmarks.ViaDmaApi(Direction=Bidirectional)")
sw_to = b("SwiotlbBenchmarks.ViaDmaApi(Direction=ToDevice)")
floor = b("SwiotlbBenchmarks.PlainCopy4K(Direction=ToDevice)")
walk_floor = b("SwiotlbBenchmarks.PoolWalkCopy4K(Direction=Bidirectional)")
hit, walk = b("TranslationBenchmarks.IotlbHit"), b("TranslationBenchmarks.Walk4LevelHot")
inv0, inv1 = b("IotlbInvalidationBenchmarks.PageSelectiveInvalidation(Filled=False)"), b("IotlbInvalidationBenchmarks.PageSelectiveInvalidation(Filled=True)")
one = b("SeedSuiteBenchmarks.OneScenarioOneProfile")
suite = b("SeedSuiteBenchmarks.ParseAndRunAllProfiles")
t256, t64k, churn, hitc, full = iova("tree-256"), iova("tree-65536"), iova("churn"), iova("cache-hit"), iova("full32")

rows = [
    # (hot path, anchor / before, target text, target ns, median ns, command, commit)
    ("dma_map_single+unmap 4 KiB, strict", "before: 3,836 ns (issue 13)", "≤ 150 ns", 150, S[0], "BDN `MapUnmapBenchmarks.MapUnmap4K(Mode: Strict)`", f"{C_IOTLB}, {C_ALLOC}, a0bc0bf"),
    ("same, lazy (flush queue 256 / 10 ms)", "before: 495 ns", "≤ 100 ns", 100, L[0], "BDN `MapUnmap4K(Mode: Lazy)`", C_ALLOC + ", a0bc0bf"),
    ("same, pass-through (iommu=pt)", "before: 177 ns", "≤ 40 ns", 40, P[0], "BDN `MapUnmap4K(Mode: Passthrough)`", "a0bc0bf"),
    ("same, dma-direct (no IOMMU)", "before: 253 ns", "≤ 40 ns", 40, D[0], "BDN `MapUnmap4K(Mode: Direct)`", "a0bc0bf"),
    ("swiotlb map+unmap 4 KiB, BIDIRECTIONAL", f"before: ≈ 1,170 ns; floor (plain 4 KiB copy): {fmt(floor[0])}; in and back through a 64 MiB pool: {fmt(walk_floor[0])}", "≤ 300 ns", 300, sw[0], "BDN `SwiotlbBenchmarks.ViaDmaApi(Direction: Bidirectional)`", "20582a4, a8807e0, 53f1a5e"),
    ("swiotlb map+unmap 4 KiB, TO_DEVICE", "one copy instead of two", "≤ 300 ns", 300, sw_to[0], "BDN `ViaDmaApi(Direction: ToDevice)`", "20582a4, a8807e0, 53f1a5e"),
    ("translation, IOTLB hit", "before: 4.97 ns; native C ≈ 1.1 ns", "≤ 3 ns", 3, hit[0], "BDN `TranslationBenchmarks.IotlbHit`", "—"),
    ("translation, 4-level walk, hot tables", "before: 63.8 ns; native C ≈ 3 ns", "≤ 10 ns", 10, walk[0], "BDN `TranslationBenchmarks.Walk4LevelHot`", C_ALLOC + ", 83acc3a"),
    ("IOVA tree, 256 live, 1–8 pages, oldest freed", "Linux 6.12 iova.c: 263 ns", "≤ 1.0× Linux", 263, t256.get("nsPerPair"), "`dmasim iova bench --workload tree --live 256`", f"{C_TOOL}, {C_TREE}"),
    ("IOVA tree, 65,536 live, same", "Linux 6.12 iova.c: 387 ns", "≤ 1.0× Linux", 387, t64k.get("nsPerPair"), "`dmasim iova bench --workload tree --live 65536`", f"{C_TOOL}, {C_TREE}"),
    ("IOVA churn, 300,000 live: average pair", "Linux: avg 705 µs", "≤ 1 µs", 1000, churn.get("avgNs"), "`dmasim iova bench --workload churn` (`avgNs`)", f"{C_TOOL}, {C_TREE}"),
    ("IOVA churn, 300,000 live: p99 pair", "Linux: p99 4.5 ms", "≤ 5 µs", 5000, churn.get("p99Ns"), "same (`p99Ns`)", f"{C_TOOL}, {C_TREE}"),
    ("IOVA per-CPU cache hit, alloc+free 1 page", "Linux: 16.2 ns", "≤ 1.0× Linux", 16.2, hitc.get("nsPerPair"), "`dmasim iova bench --workload cache-hit`", C_TOOL),
    ("IOVA first failing alloc, full 32-bit space", "Linux: 19.8 ms", "≤ 1.0× Linux", 19.8e6, full.get("firstFailNs"), "`dmasim iova bench --workload full32` (`firstFailNs`)", f"{C_TOOL}, {C_TREE}"),
    ("one scenario × profile in process (boot + seed workload)", "before: ≈ 2.4 ms", "≤ 0.5 ms", 5e5, one[0], "BDN `SeedSuiteBenchmarks.OneScenarioOneProfile`", "—"),
    ("cold `dmasim run` of the seed suite", "—", "≤ 1.0 s", 1e9, cold_ns, "`bench/scripts/cold-run.sh 7` (median)", "20582a4"),
    ("same, ReadyToRun build (`bench/scripts/publish.sh`)", "—", "≤ 1.0 s", 1e9, cold_r2r_ns, "`DMASIM_EXE=… bench/scripts/cold-run.sh 7` (median)", "—"),
    (f"same, Native AOT build (`ISA={sweep.get('aot-isa', 'x86-64-v3')} bench/scripts/publish.sh aot`)", "—", "≤ 1.0 s", 1e9, cold_aot_ns, "`DMASIM_EXE=… bench/scripts/cold-run.sh 7` (median)", "—"),
]
table = ["| # | hot path | anchor / before | target | median (this run) | ratio | commit | command |", "|---|---|---|---|---|---|---|---|"]
for i, (what, anchor, target, tns, med, cmd, commit) in enumerate(rows, 1):
    table.append(f"| {i} | {what} | {anchor} | {target} | {fmt(med)} | {ratio(med, tns)} | {commit} | {cmd} |")

def sweep_row(i, what, build):
    ns = per_cell_ns(build)
    runs = sweep.get(f"seed-{build}-ms", "").split()
    return (f"| {i} | {what} | before: 286 cells/s (issue 14 notes, load ≈ 2.5) | ≥ 2,000 cells/s | {rate(ns)} "
            f"(median of {len(runs)} runs: {sweep.get(f'seed-{build}-median-ms', 'n/a')} ms for {seed_cells} cells) | {ratio(ns, 5e5)} | — | "
            f"`bench/scripts/sweep-throughput.sh` |")
n = len(rows)
table.append(sweep_row(n + 1, "seed sweep end to end, plain Release build", "plain"))
table.append(sweep_row(n + 2, "seed sweep end to end, ReadyToRun build", "r2r"))
table.append(sweep_row(n + 3, f"seed sweep end to end, Native AOT build (`ISA={sweep.get('aot-isa', 'x86-64-v3')}`)", "aot"))
table.append(f"| {n + 4} | fleet: {sweep.get('fleet-machines', 'n/a')} imported machines × 8 profiles × 3 command lines ({sweep.get('fleet-cells', 'n/a')} cells, "
             f"{sweep.get('fleet-rows', 'n/a')} rows), {sweep.get('fleet-build', 'ReadyToRun')} build | before: 92.8 s | ≤ 60 s | {fmt(fleet_wall * 1e9) if fleet_wall else 'n/a'} "
             f"(peak RSS {int(sweep['fleet-rss-kb']) / 1024:,.0f} MB) | {ratio(fleet_wall, 60) if fleet_wall else 'n/a'} | cb8739c | `bench/scripts/sweep-throughput.sh` |"
             if fleet_wall else f"| {n + 4} | fleet | before: 92.8 s | ≤ 60 s | not run (FLEET=0) | n/a | — | `bench/scripts/sweep-throughput.sh` |")

alloc = ["| path | allocated per map+unmap pair (BDN MemoryDiagnoser) |", "|---|---|"]
for name, r in (("strict", S), ("lazy", L), ("pass-through", P), ("dma-direct", D), ("swiotlb BIDIRECTIONAL", sw)):
    alloc.append(f"| {name} | {r[2]:.0f} B |" if r[2] is not None else f"| {name} | n/a |")

other = ["| benchmark | median | min | allocated |", "|---|---|---|---|"]
for key in sorted(bdn):
    med, mn, al = bdn[key]
    other.append(f"| `{key}` | {fmt(med)} | {fmt(mn)} | {al:.0f} B |")

def iova_line(name, j):
    if not j: return f"| {name} | n/a | | |"
    extra = ", ".join(f"{k} {fmt(j[k])}" for k in ("avgNs", "p50Ns", "p99Ns", "maxNs", "firstFailNs") if k in j)
    reps = " / ".join(fmt(x) for x in j.get("repetitionNsPerPair", []))
    return f"| {name} | {fmt(j.get('nsPerPair'))} | {reps} | {extra} |"
iova_tab = ["| workload | nsPerPair (median) | repetitions | pair statistics |", "|---|---|---|---|",
            iova_line("cache-hit", hitc), iova_line("tree, live 256", t256), iova_line("tree, live 65,536", t64k),
            iova_line("churn, live 300,000", churn), iova_line("full32 (nsPerPair = fill per alloc)", full)]

def shards_table(name):
    """N shards run one after another: the speed-up N nodes would see (whole run / slowest shard)."""
    got = dict(line.split(" ", 1) for line in optional(name).splitlines() if " " in line)
    if "shard-whole-ms" not in got: return "(not run)"
    rows = ["| shards | each shard (ms) | speed-up (whole / slowest) | shards' total / whole | merge = whole run |", "|---|---|---|---|---|",
            f"| 1 | {got['shard-whole-ms']} | 1.00 | 1.00 | — |"]
    for n in ("2", "4", "8"):
        if f"shard-{n}-ms" in got:
            rows.append(f"| {n} | {got[f'shard-{n}-ms']} | {got.get(f'shard-{n}-speedup', 'n/a')} | "
                        f"{got.get(f'shard-{n}-total-over-whole', 'n/a')} | {got.get(f'shard-{n}-merge-equals-whole', 'n/a')} |")
    return "\n".join(rows)

subs = {
    "DATE": read("date.txt"), "COMMIT": read("commit.txt"), "NPROC": read("nproc.txt"),
    "LOAD_BEFORE": " ".join(read("load-before.txt").split()[:3]), "LOAD_AFTER": " ".join(read("load-after.txt").split()[:3]),
    "RESULTS": "\n".join(table), "ALLOC": "\n".join(alloc), "IOVA": "\n".join(iova_tab), "ALLBDN": "\n".join(other),
    "COLD": "\n".join("    " + line for line in cold.splitlines()),
    "COLD_R2R": "\n".join("    " + line for line in cold_r2r.splitlines()) or "    (not run)",
    "COLD_AOT": "\n".join("    " + line for line in cold_aot.splitlines()) or "    (not run: AOT=0)",
    "AOT_CHECK": "\n".join("    " + line for line in aot_check.splitlines()) or "    (not run: AOT=0)",
    "SWEEP": "\n".join("    " + line for line in optional("sweep.txt").splitlines()) or "    (not run)",
    "SHARDS": shards_table("shards.txt"),
    "SHARDS_FLEET": shards_table("shards-fleet.txt"),
    "SHARDS_BUILD": {"aot": "Native AOT", "r2r": "ReadyToRun"}.get(optional("shards-build.txt"), "ReadyToRun"),
    "INV_EMPTY": fmt(inv0[0]), "INV_FULL": fmt(inv1[0]), "SUITE": fmt(suite[0]),
    "RSS": f"{int(rss.group(1)) / 1024:.0f} MB" if rss else "n/a",
}
text = open(template).read()
for k, v in subs.items():
    text = text.replace("{{" + k + "}}", v)
left = re.findall(r"\{\{[A-Z_]+\}\}", text)
if left: sys.exit(f"unfilled placeholders: {left}")
sys.stdout.write(text)
