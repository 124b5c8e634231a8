#!/bin/sh
# /init of the oracle's initramfs (busybox). Loads the drivers named in /modules.list, waits for
# their probes, then writes everything the recorder keeps to the second serial port (ttyS1) between
# "=== section" markers and powers the guest off. record.sh splits that stream into files.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

depmod
# One module a line, with its parameters (word-split on purpose).
while read -r mod; do
  [ -n "$mod" ] && modprobe $mod 2>&1
done < /modules.list
# nvme, snd-hda-intel and the SCSI host scans finish their probes from work queues: let them settle.
sleep "$(cat /settle-seconds)"

out=/dev/ttyS1
{
  echo "=== uname"
  uname -r
  echo "=== proc-cmdline"
  cat /proc/cmdline
  echo "=== meminfo"
  grep -E '^(MemTotal|MemFree):' /proc/meminfo
  echo "=== dmar-base64"
  [ -r /sys/firmware/acpi/tables/DMAR ] && base64 /sys/firmware/acpi/tables/DMAR
  echo "=== groups"
  for g in /sys/kernel/iommu_groups/*; do
    [ -d "$g" ] || continue
    printf '%s\t%s\t%s\n' "${g##*/}" "$(cat "$g/type" 2>/dev/null)" "$(ls "$g/devices" | tr '\n' ' ')"
  done
  echo "=== devices"
  # bdf vendor device class revision subsystem_vendor subsystem_device header_type dma consistent driver group
  for d in /sys/bus/pci/devices/*; do
    drv=-
    [ -L "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
    grp=-
    [ -L "$d/iommu_group" ] && grp=$(basename "$(readlink "$d/iommu_group")")
    hdr=$(dd if="$d/config" bs=1 skip=14 count=1 2>/dev/null | od -An -tx1 | tr -d ' ')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t0x%s\t%s\t%s\t%s\t%s\n' "${d##*/}" \
      "$(cat "$d/vendor")" "$(cat "$d/device")" "$(cat "$d/class")" "$(cat "$d/revision")" \
      "$(cat "$d/subsystem_vendor")" "$(cat "$d/subsystem_device")" "$hdr" \
      "$(cat "$d/dma_mask_bits")" "$(cat "$d/consistent_dma_mask_bits")" "$drv" "$grp"
  done
  echo "=== config-base64"
  for d in /sys/bus/pci/devices/*; do
    echo "${d##*/} $(base64 -w 0 "$d/config")"
  done
  echo "=== modules"
  cat /proc/modules
  echo "=== dmesg"
  dmesg -s 2097152
  echo "=== end"
} > "$out" 2>&1
sync
poweroff -f
