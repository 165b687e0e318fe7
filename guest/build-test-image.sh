#!/bin/sh
# Builds the vmtask test guest from Debian packages only: the Debian kernel, busybox-static as
# init and userland, the NIC modules and the guest agent (guest/agent, built by build-agent.sh)
# in an initramfs, on a FAT disk that boots with syslinux (the taskcluster image format has no
# -kernel option, so the disk must boot).
#
# Outputs, cached by content hash in ${VMTASK_GUEST_CACHE:-~/.cache/vmtask/guest}/<hash>/:
#   disk.img        raw bootable disk
#   layer.qcow2     empty qcow2 overlay backed by disk.img (raw)
#   machine.json    machine definition (version 1)
#   image.tar.zst   the three above, packaged as a taskcluster image (tar -S, zstd -3)
#   test.qcow2      standalone qcow2 of the same disk
#   cdrom.iso       the same kernel and initramfs as a bootable ISO 9660 cdrom (isolinux), for
#                   tasks that boot a cdrom to install a blank disk
# Prints KEY=path lines on stdout (logs go to stderr). Idempotent: a second run only prints.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
kver=${KERNEL_VERSION:-$(ls /lib/modules | sort -V | tail -n 1)}
kernel=${KERNEL_IMAGE:-/boot/vmlinuz-$kver}
moddir=/lib/modules/$kver
busybox=${BUSYBOX:-/bin/busybox}
cache_root=${VMTASK_GUEST_CACHE:-$HOME/.cache/vmtask/guest}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
# Load order respects module dependencies (modinfo -F depends).
# evdev and button: the ACPI power button (QMP system_powerdown) as an input event for acpid.
# virtio_blk and vfat: commands can mount the boot disk (FAT, /dev/vda) and write to it, as an
# image build does.
modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net e1000 mii 8139too evdev button virtio_blk fat vfat nls_cp437 nls_ascii"

log() { echo "build-test-image: $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { log "missing $1: run $here/install-deps.sh"; exit 1; }; }
for tool in cpio syslinux mcopy mkfs.fat qemu-img zstd tar sha256sum xorriso; do need "$tool"; done
isolinux_bin=/usr/lib/ISOLINUX/isolinux.bin
[ -r "$isolinux_bin" ] || { log "missing $isolinux_bin: run $here/install-deps.sh"; exit 1; }
[ -r "$kernel" ] || { log "kernel $kernel not readable (install linux-image-amd64)"; exit 1; }
[ -x "$busybox" ] || { log "busybox-static not found at $busybox"; exit 1; }
syslinux_bios=/usr/lib/syslinux/modules/bios
# The guest agent (Go, static), built and cached by build-agent.sh.
agent=$(sh "$here/build-agent.sh" | sed -n 's/^GUEST_AGENT=//p')
[ -x "$agent" ] || { log "guest agent not built"; exit 1; }

module_file() { find "$moddir/kernel" -name "$1.ko*" | head -n 1; }

# The cache key covers every input, so a changed tool, kernel or script makes a new image.
key=$({
  cat "$0" "$here/initramfs/init" "$here/initramfs/udhcpc.script" "$here/initramfs/power-button"
  sha256sum "$agent" "$kernel" "$busybox" "$syslinux_bios/ldlinux.c32"
  for m in $modules; do sha256sum "$(module_file "$m")"; done
  echo "$SOURCE_DATE_EPOCH"
} | sha256sum | cut -c1-16)
out=$cache_root/$key

print_outputs() {
  echo "GUEST_DIR=$out"
  for f in disk.img layer.qcow2 machine.json image.tar.zst test.qcow2 cdrom.iso; do
    echo "$(echo "$f" | tr 'a-z.' 'A-Z_')=$out/$f"
  done
}

if [ -f "$out/.complete" ]; then
  print_outputs
  exit 0
fi

mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

log "kernel $kernel, modules from $moddir"
mkdir -p "$root/bin" "$root/lib/modules" "$root/usr/bin" "$root/usr/share/udhcpc" "$root/etc/acpi/PWRF" \
  "$root/dev" "$root/proc" "$root/sys" "$root/run" "$root/tmp" "$root/root"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
ln -s bin "$root/sbin"
ln -s ../bin/busybox "$root/usr/bin/env"
: >"$root/lib/modules/load.order"
for m in $modules; do
  f=$(module_file "$m")
  [ -n "$f" ] || { log "module $m not found in $moddir"; exit 1; }
  case "$f" in
  *.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
  *.ko.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
  *) cp "$f" "$root/lib/modules/$m.ko" ;;
  esac
  echo "$m" >>"$root/lib/modules/load.order"
done
install -m 0755 "$here/initramfs/init" "$root/init"
install -m 0755 "$here/initramfs/udhcpc.script" "$root/usr/share/udhcpc/default.script"
install -m 0755 "$agent" "$root/usr/bin/vmtask-guest"
# busybox acpid runs /etc/acpi/PWRF/00000080 when the power button is pressed.
install -m 0755 "$here/initramfs/power-button" "$root/etc/acpi/PWRF/00000080"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf 'vmtask\n' >"$root/etc/hostname"

# Reproducible cpio: sorted names, fixed owner and mtimes.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
  gzip -n -1 >"$work/initrd.img"

cat >"$work/syslinux.cfg" <<EOF
DEFAULT vmtask
PROMPT 0
TIMEOUT 0
LABEL vmtask
  KERNEL vmlinuz
  INITRD initrd.img
  APPEND console=ttyS0 quiet panic=-1 tsc=reliable mitigations=off
EOF
cp "$kernel" "$work/vmlinuz"
touch -d "@$SOURCE_DATE_EPOCH" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg"

# FAT superfloppy: no partition table; syslinux's boot sector is the disk's boot sector.
size_kib=$(( ($(wc -c <"$work/vmlinuz") + $(wc -c <"$work/initrd.img")) / 1024 + 4096 ))
rm -f "$work/disk.img"
mkfs.fat -C --invariant -n VMTASK "$work/disk.img" "$size_kib" >/dev/null
mcopy -m -i "$work/disk.img" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg" ::/
syslinux --install "$work/disk.img"

cat >"$work/machine.json" <<'EOF'
{"version":1,"chipset":"pc","memory":256,"network":"e1000","storage":"virtio-blk-pci","graphics":"none"}
EOF
(cd "$work" && qemu-img create -q -f qcow2 \
  -o backing_file=disk.img,backing_fmt=raw,lazy_refcounts=on layer.qcow2)
touch -d "@$SOURCE_DATE_EPOCH" "$work/disk.img" "$work/layer.qcow2" "$work/machine.json"
(cd "$work" && tar -Scf - --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
  disk.img layer.qcow2 machine.json) | zstd -q -3 -o "$work/image.tar.zst"
qemu-img convert -q -f raw -O qcow2 "$work/disk.img" "$work/test.qcow2"

# The cdrom: El Torito boot with isolinux, the same kernel command line.
mkdir -p "$work/iso/isolinux"
cp "$isolinux_bin" "$syslinux_bios/ldlinux.c32" "$work/iso/isolinux/"
cp "$work/vmlinuz" "$work/initrd.img" "$work/iso/"
sed 's/^  KERNEL vmlinuz/  KERNEL \/vmlinuz/; s/^  INITRD initrd.img/  INITRD \/initrd.img/' \
  "$work/syslinux.cfg" >"$work/iso/isolinux/isolinux.cfg"
xorriso -as mkisofs -quiet -o "$work/cdrom.iso" -V VMTASK_CDROM \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
  "$work/iso" 2>/dev/null

rm -rf "$out"
mkdir -p "$out"
mv "$work/disk.img" "$work/layer.qcow2" "$work/machine.json" "$work/image.tar.zst" \
  "$work/test.qcow2" "$work/cdrom.iso" "$out/"
touch "$out/.complete"
log "built $out ($(du -sh "$out" | cut -f1))"
print_outputs
