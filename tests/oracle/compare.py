#!/usr/bin/env python3
"""Compares DmaSim with the recorded real-kernel boots, device by device (opt-in; not run by CI).

For each boot in tests/oracle/manifest.json: `dmasim import --dmesg dmesg.txt [--dmar DMAR.dat]`, then
`dmasim run --format json`, and for every PCI function the kernel had:
  domain    sysfs group type DMA / DMA-FQ -> translated; identity -> identity or passthrough (the model
            names the identity domain "passthrough" when the unit has hardware pass-through); no group -> none
  flush     DMA -> strict, DMA-FQ -> lazy, otherwise null (compared when the run's JSON has the field)
  group     the partition of functions into groups (compared when the JSON has devices[].group)
  driver    the bound driver (compared when the JSON has devices[].driver)
  dma/coherent mask bits
Prints one line per difference and a summary; exits 1 when anything differs.

  tests/oracle/compare.py [--dmasim PATH] [BOOT...]
PATH defaults to `dotnet run --project src/DmaSim.Cli --`.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def dmasim_command(argv):
    if "--dmasim" in argv:
        i = argv.index("--dmasim")
        path = argv[i + 1]
        del argv[i:i + 2]
        return [path]
    return ["dotnet", "run", "--project", os.path.join(REPO, "src", "DmaSim.Cli"), "--"]


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode not in (0, 1):
        sys.exit(f"compare.py: error: {' '.join(cmd)} exited {res.returncode}: {res.stderr.strip()}")
    return res.stdout


def simulate(dmasim, boot_dir):
    with tempfile.TemporaryDirectory() as tmp:
        yaml = os.path.join(tmp, "machine.yaml")
        cmd = dmasim + ["import", "--dmesg", os.path.join(boot_dir, "dmesg.txt"), "-o", yaml]
        if os.path.exists(os.path.join(boot_dir, "DMAR.dat")):
            cmd += ["--dmar", os.path.join(boot_dir, "DMAR.dat")]
        run(cmd)
        return json.loads(run(dmasim + ["run", yaml, "--format", "json"]))


def truth(boot_dir):
    sysfs = json.load(open(os.path.join(boot_dir, "sysfs.json")))
    types = {g["group"]: g["type"] for g in sysfs["groups"]}
    out = {}
    for d in sysfs["devices"]:
        gtype = types.get(d["iommu_group"])
        domain = {"DMA": "translated", "DMA-FQ": "translated", "identity": "identity"}.get(gtype, "none")
        flush = {"DMA": "strict", "DMA-FQ": "lazy"}.get(gtype)
        out[d["bdf"].removeprefix("0000:")] = {
            "domain": domain, "flush": flush, "group": d["iommu_group"], "driver": d["driver"],
            "dmaMaskBits": d["dma_mask_bits"], "coherentDmaMaskBits": d["consistent_dma_mask_bits"]}
    return out


def partition(devs):
    groups = {}
    for bdf, d in devs.items():
        if d.get("group") is not None:
            groups.setdefault(d["group"], set()).add(bdf)
    return {bdf: frozenset(members) for members in groups.values() for bdf in members}


def compare(name, want, result):
    got = {d["bdf"]: d for d in result["devices"]}
    diffs = []
    for bdf in sorted(want):
        if bdf not in got:
            diffs.append(f"{name} {bdf}: not in the simulated machine")
            continue
        w, g = want[bdf], got[bdf]
        domain = g["domain"]
        if not (domain == w["domain"] or (w["domain"] == "identity" and domain == "passthrough")):
            diffs.append(f"{name} {bdf} domain: kernel {w['domain']}, dmasim {domain}")
        for field in ("dmaMaskBits", "coherentDmaMaskBits", "flush", "driver"):
            if field in g and g[field] != w[field]:
                diffs.append(f"{name} {bdf} {field}: kernel {w[field]}, dmasim {g[field]}")
            elif field not in g:
                diffs.append(f"{name} {bdf} {field}: kernel {w[field]}, dmasim has no such field")
    if all("group" in g for g in got.values()):
        want_p, got_p = partition(want), partition({b: got[b] for b in want if b in got})
        for bdf in sorted(want):
            if want_p.get(bdf) != got_p.get(bdf):
                diffs.append(f"{name} {bdf} group: kernel {sorted(want_p.get(bdf, []))}, "
                             f"dmasim {sorted(got_p.get(bdf, []))}")
    else:
        diffs.append(f"{name}: dmasim's JSON has no devices[].group")
    return diffs


def main(argv):
    dmasim = dmasim_command(argv)
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    boots = [b["name"] for b in manifest["boots"] if not argv or b["name"] in argv]
    total = 0
    for name in boots:
        boot_dir = os.path.join(HERE, name)
        diffs = compare(name, truth(boot_dir), simulate(dmasim, boot_dir))
        total += len(diffs)
        print("\n".join(diffs) if diffs else f"{name}: every device equal")
    print(f"compare.py: {len(boots)} boots, {total} differences")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
