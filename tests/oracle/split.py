#!/usr/bin/env python3
"""Splits one boot's ttyS1 stream (sections written by init.sh) into the recorded files:
dmesg.txt, DMAR.dat, groups.txt, devices.tsv, config.txt, sysfs.json and boot.json."""
import base64
import json
import os
import sys

DEVICE_FIELDS = ["bdf", "vendor", "device", "class", "revision", "subsystem_vendor",
                 "subsystem_device", "header_type", "dma_mask_bits", "consistent_dma_mask_bits",
                 "driver", "iommu_group"]


def sections(path):
    text = open(path, "rb").read().decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "")
    out, name = {}, None
    for line in text.split("\n"):
        if line.startswith("=== "):
            name = line[4:].strip()
            out[name] = []
        elif name is not None:
            out[name].append(line)
    return out


def config_lines(bdf, blob):
    """lspci -xxxx layout; 16-byte rows that are all zero are left out (most of the extended space)."""
    lines = [bdf]
    for off in range(0, len(blob), 16):
        row = blob[off:off + 16]
        if off >= 64 and not any(row):
            continue
        lines.append(f"{off:03x}: " + " ".join(f"{b:02x}" for b in row))
    return lines


def host_path_free(arg):
    """The recorder's cache paths are this machine's; keep only the file name."""
    if arg.startswith("file:"):
        return "file:" + os.path.basename(arg[5:])
    return os.path.basename(arg) if arg.startswith("/") else arg


def device_row(line):
    cols = line.split("\t")
    row = dict(zip(DEVICE_FIELDS, cols))
    for key in ("dma_mask_bits", "consistent_dma_mask_bits"):
        row[key] = int(row[key])
    for key in ("driver", "iommu_group"):
        row[key] = None if row[key] == "-" else row[key]
    if row["iommu_group"] is not None:
        row["iommu_group"] = int(row["iommu_group"])
    return row


def main(data, out_dir, name, mem, vtd, cmdline, argv_file, package):
    s = sections(data)
    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, old))
    dmesg = [l for l in s["dmesg"] if l != ""]
    with open(os.path.join(out_dir, "dmesg.txt"), "w") as f:
        f.write("\n".join(dmesg) + "\n")
    dmar = "".join(l.strip() for l in s.get("dmar-base64", []))
    if dmar:
        with open(os.path.join(out_dir, "DMAR.dat"), "wb") as f:
            f.write(base64.b64decode(dmar))
    groups = []
    for line in s["groups"]:
        if line.strip():
            gid, gtype, devs = line.split("\t")
            groups.append({"group": int(gid), "type": gtype, "devices": devs.split()})
    groups.sort(key=lambda g: g["group"])
    with open(os.path.join(out_dir, "groups.txt"), "w") as f:
        for g in groups:
            f.write(f"{g['group']}\t{g['type']}\t{' '.join(g['devices'])}\n")
    devices = [device_row(l) for l in s["devices"] if l.strip()]
    with open(os.path.join(out_dir, "devices.tsv"), "w") as f:
        f.write("\t".join(DEVICE_FIELDS) + "\n")
        f.writelines(l + "\n" for l in s["devices"] if l.strip())
    config = []
    for line in s["config-base64"]:
        if line.strip():
            bdf, blob = line.split(" ", 1)
            config += config_lines(bdf, base64.b64decode(blob.strip())) + [""]
    with open(os.path.join(out_dir, "config.txt"), "w") as f:
        f.write("\n".join(config))
    kernel = s["uname"][0].strip()
    proc_cmdline = s["proc-cmdline"][0].strip()
    with open(os.path.join(out_dir, "sysfs.json"), "w") as f:
        json.dump({"kernel": kernel, "cmdline": proc_cmdline, "groups": groups, "devices": devices},
                  f, indent=1)
        f.write("\n")
    argv = [a for a in open(argv_file).read().split("\n") if a]
    boot = {"name": name, "ram": mem, "vtd_device": None if vtd == "-" else vtd,
            "matrix_cmdline": cmdline, "kernel_cmdline": proc_cmdline, "kernel": kernel,
            "kernel_package": package,
            "meminfo": [l.strip() for l in s.get("meminfo", []) if l.strip()],
            "modules_loaded": sorted(l.split()[0] for l in s.get("modules", []) if l.strip()),
            "qemu_argv": [host_path_free(a) for a in argv]}
    with open(os.path.join(out_dir, "boot.json"), "w") as f:
        json.dump(boot, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
