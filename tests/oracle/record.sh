#!/usr/bin/env bash
# Real-kernel oracle recorder (opt-in; never run by CI). Boots Debian 12's own kernel
# (linux-image-amd64, 6.1) under qemu-system-x86_64 (TCG) on q35 with an emulated VT-d unit, once per
# row of the boot matrix (boots.tsv), and records what the kernel decided: dmesg, the DMAR table,
# /sys/kernel/iommu_groups and every PCI function's masks and driver. See docs/real-machines.md,
# "A real-kernel oracle".
#
#   tests/oracle/record.sh                 # every boot in boots.tsv
#   tests/oracle/record.sh on-2g pt-6g     # only these
#
# Needs: qemu-system-x86 and busybox-static (apt), python3, and the kernel package (downloaded with
# `apt-get download` into $ORACLE_CACHE unless ORACLE_KERNEL_ROOT points at an extracted one).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${ORACLE_CACHE:-/tmp/dmasim-oracle}
settle=${ORACLE_SETTLE_SECONDS:-8}
timeout_s=${ORACLE_BOOT_TIMEOUT:-1200}
mkdir -p "$cache"

die() { echo "record.sh: error: $*" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"
command -v python3 >/dev/null || die "python3 missing"

# --- the kernel: Debian's linux-image-amd64 meta package names the image package ---
kernel_root() {
  if [ -n "${ORACLE_KERNEL_ROOT:-}" ]; then echo "$ORACLE_KERNEL_ROOT"; return; fi
  local pkg deb
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || die "apt-cache does not know linux-image-amd64 (run apt-get update)"
  if [ ! -d "$cache/$pkg/lib/modules" ]; then
    (cd "$cache" && apt-get download "$pkg" >&2)
    deb=$(ls "$cache/${pkg}"_*.deb | head -1)
    dpkg-deb -x "$deb" "$cache/$pkg"
    basename "$deb" > "$cache/$pkg/.deb-name"
  fi
  echo "$cache/$pkg"
}
kroot=$(kernel_root)
kver=$(ls "$kroot/lib/modules" | head -1)
vmlinuz="$kroot/boot/vmlinuz-$kver"
[ -f "$vmlinuz" ] || die "no $vmlinuz"

# --- the initramfs: busybox, /init, the driver modules and their dependencies ---
# scsi_mod scan=none: no SCSI bus scans (the lsi53c895a behind the VT-d unit faults on every command
# and each scan of its 7 targets times out); the drivers still probe and set their masks.
modules=("scsi_mod scan=none" e1000e e1000 e100 pcnet32 8139cp virtio_pci virtio_net crc64_rocksoft_generic
  crct10dif_generic nvme ahci lpc_ich i2c-i801 xhci-pci ehci-pci uhci-hcd sym53c8xx mptsas
  megaraid_sas snd-hda-intel snd-hda-codec-generic)
initrd="$cache/initrd-$kver.cpio.gz"
build_initramfs() {
  local moddir="$kroot/lib/modules/$kver" stage="$cache/initramfs"
  [ -f "$moddir/modules.dep" ] || busybox depmod -b "$kroot" "$kver"
  rm -rf "$stage" && mkdir -p "$stage"/{bin,proc,sys,dev,lib/modules/"$kver"}
  cp /bin/busybox "$stage/bin/busybox"
  for app in $(busybox --list); do [ "$app" = busybox ] || ln -s busybox "$stage/bin/$app"; done
  install -m 755 "$here/init.sh" "$stage/init"
  printf '%s\n' "${modules[@]}" > "$stage/modules.list"
  echo "$settle" > "$stage/settle-seconds"
  cp "$moddir"/modules.{order,builtin} "$stage/lib/modules/$kver/"
  python3 "$here/modclosure.py" "$moddir/modules.dep" "${modules[@]%% *}" | while read -r rel; do
    mkdir -p "$stage/lib/modules/$kver/$(dirname "$rel")"
    cp "$moddir/$rel" "$stage/lib/modules/$kver/$rel"
  done
  (cd "$stage" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -6) > "$initrd"
}
build_initramfs

# --- the machine: q35 + VT-d, root ports, a PCIe switch, a PCIe-to-PCI bridge, multifunction ---
topology=(
  # root ports 00:01.0-.6 (one multifunction slot); each has ACS in QEMU (disable-acs=false)
  -device pcie-root-port,id=rp1,bus=pcie.0,addr=01.0,multifunction=on,chassis=1
  -device pcie-root-port,id=rp2,bus=pcie.0,addr=01.1,chassis=2
  -device pcie-root-port,id=rp3,bus=pcie.0,addr=01.2,chassis=3
  -device pcie-root-port,id=rp4,bus=pcie.0,addr=01.3,chassis=4
  -device pcie-root-port,id=rp5,bus=pcie.0,addr=01.4,chassis=5
  -device pcie-root-port,id=rp6,bus=pcie.0,addr=01.5,chassis=6
  -device pcie-root-port,id=rp7,bus=pcie.0,addr=01.6,chassis=7
  -device e1000e,bus=rp1,netdev=n1
  -device nvme,bus=rp2,serial=oracle1
  -device virtio-net-pci,bus=rp3,netdev=n2
  -device qemu-xhci,bus=rp4
  -device megasas-gen2,bus=rp5
  # PCIe-to-PCI bridge with conventional devices, and a conventional PCI-PCI bridge behind it
  -device pcie-pci-bridge,id=pbr,bus=rp6
  -device e1000,bus=pbr,addr=01.0,netdev=n3
  -device lsi53c895a,bus=pbr,addr=02.0
  -device pcnet,bus=pbr,addr=03.0,netdev=n4
  -device rtl8139,bus=pbr,addr=04.0,netdev=n5
  -device pci-bridge,id=pb2,bus=pbr,addr=05.0,chassis_nr=8
  -device i82559er,bus=pb2,addr=01.0,netdev=n6
  # a PCIe switch without ACS on its downstream ports
  -device x3130-upstream,id=up1,bus=rp7
  -device xio3130-downstream,id=dp1,bus=up1,addr=00.0,chassis=9
  -device xio3130-downstream,id=dp2,bus=up1,addr=01.0,chassis=10
  -device nvme,bus=dp1,serial=oracle2
  -device mptsas1068,bus=dp2
  # integrated endpoints on the root bus, as on an Intel chipset
  -device e1000e,bus=pcie.0,addr=19.0,netdev=n7
  -device ich9-intel-hda,bus=pcie.0,addr=1b.0 -device hda-duplex,audiodev=snd0
  -device ich9-usb-uhci1,bus=pcie.0,addr=1d.0,multifunction=on
  -device ich9-usb-uhci2,bus=pcie.0,addr=1d.1
  -device ich9-usb-uhci3,bus=pcie.0,addr=1d.2
  -device ich9-usb-ehci1,bus=pcie.0,addr=1d.7
)
topology+=(-audiodev none,id=snd0)
for n in 1 2 3 4 5 6 7; do topology+=(-netdev "user,id=n$n,restrict=on"); done

record_boot() {
  local name=$1 mem=$2 vtd=$3 cmdline=$4 dir="$here/$name" work="$cache/run-$name"
  rm -rf "$work" && mkdir -p "$work"
  local append="console=ttyS0 panic=-1 $cmdline"
  local qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu qemu64 -smp 1 -m "$mem"
    -nodefaults -display none -no-reboot -monitor none)
  [ "$vtd" != "-" ] && qemu+=(-device "$vtd")
  qemu+=("${topology[@]}" -serial "file:$work/console.log" -serial "file:$work/data.log"
    -kernel "$vmlinuz" -initrd "$initrd" -append "${append% }")
  echo "record.sh: booting $name ($mem, ${vtd}, '$cmdline')" >&2
  local t0=$SECONDS
  timeout "$timeout_s" "${qemu[@]}" </dev/null || die "$name: qemu failed or timed out (see $work)"
  grep -q '^=== end' "$work/data.log" || die "$name: the guest did not finish (see $work/console.log)"
  printf '%s\n' "${qemu[@]}" > "$work/qemu-argv"
  python3 "$here/split.py" "$work/data.log" "$dir" "$name" "$mem" "$vtd" "$cmdline" "$work/qemu-argv" \
    "$(cat "$kroot/.deb-name" 2>/dev/null || echo "$kroot")"
  echo "record.sh: $name done in $((SECONDS - t0)) s" >&2
}

want=("$@")
while IFS=$'\t' read -r name mem vtd cmdline; do
  case "$name" in ''|'#'*) continue ;; esac
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " == *" $name "* ]]; then continue; fi
  record_boot "$name" "$mem" "$vtd" "${cmdline:-}"
done < "$here/boots.tsv"
python3 "$here/manifest.py" "$here"
