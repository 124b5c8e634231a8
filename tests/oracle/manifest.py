#!/usr/bin/env python3
"""Writes tests/oracle/manifest.json: every recorded boot's boot.json, and where each file comes from."""
import json
import os
import sys

SOURCES = {
    "dmesg.txt": "guest: busybox dmesg -s 2097152 (the whole printk buffer, after the drivers probed)",
    "DMAR.dat": "guest: /sys/firmware/acpi/tables/DMAR (raw bytes; absent when QEMU had no intel-iommu)",
    "groups.txt": "guest: /sys/kernel/iommu_groups/N/type and ls /sys/kernel/iommu_groups/N/devices "
                  "(group, type, devices)",
    "devices.tsv": "guest: /sys/bus/pci/devices/BDF/{vendor,device,class,revision,subsystem_vendor,"
                   "subsystem_device}, config byte 0x0e (header type), dma_mask_bits, "
                   "consistent_dma_mask_bits, the driver and iommu_group links (- when none)",
    "config.txt": "guest: /sys/bus/pci/devices/BDF/config as lspci -xxxx rows (all-zero rows past 0x40 "
                  "left out)",
    "sysfs.json": "groups.txt and devices.tsv as JSON, with uname -r and /proc/cmdline",
    "boot.json": "host: the QEMU command line, RAM, VT-d device options, matrix command line, "
                 "kernel package; guest: /proc/meminfo, /proc/modules",
}


def main(root):
    boots = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name, "boot.json")
        if os.path.isfile(path):
            boot = json.load(open(path))
            boot["files"] = sorted(os.listdir(os.path.join(root, name)))
            boots.append(boot)
    manifest = {"recorder": "tests/oracle/record.sh (boots.tsv, init.sh, split.py)",
                "sources": SOURCES, "boots": boots}
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
