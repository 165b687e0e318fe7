#!/bin/sh
# Builds the KVM probe guest of the node daemon from Debian packages: the Debian kernel and an
# initramfs holding only static busybox, whose /init prints a marker from user space on the
# serial port and powers off. Booting it under KVM proves more than a boot sector does: the
# firmware, the kernel's early boot, paging and a user-space process all ran.
#
# Outputs, cached by content hash in ${VMTASK_PROBE_CACHE:-~/.cache/vmtask/probe}/<hash>/:
#   vmlinuz      the kernel
#   initrd.img   gzip'd newc cpio with /init and /bin/busybox
# Prints PROBE_KERNEL=path and PROBE_INITRD=path on stdout (logs on stderr). Idempotent.
set -eu
# The initramfs records modes: fix them, whatever the caller's umask.
umask 022

here=$(cd "$(dirname "$0")" && pwd)
kver=${KERNEL_VERSION:-$(ls /lib/modules | sort -V | tail -n 1)}
kernel=${KERNEL_IMAGE:-/boot/vmlinuz-$kver}
busybox=${BUSYBOX:-/bin/busybox}
cache_root=${VMTASK_PROBE_CACHE:-$HOME/.cache/vmtask/probe}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

log() { echo "build-probe-guest: $*" >&2; }
for tool in cpio gzip sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { log "missing $tool: run guest/install-deps.sh"; exit 1; }
done
[ -r "$kernel" ] || { log "kernel $kernel not readable (install linux-image-amd64)"; exit 1; }
[ -x "$busybox" ] || { log "busybox-static not found at $busybox"; exit 1; }

key=$({ cat "$0"; sha256sum "$kernel" "$busybox"; echo "$SOURCE_DATE_EPOCH"; } | sha256sum | cut -c1-16)
out=$cache_root/$key
if [ ! -f "$out/.complete" ]; then
  mkdir -p "$cache_root"
  work=$(mktemp -d "$cache_root/.build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  root=$work/root
  mkdir -p "$root/bin" "$root/dev" "$root/proc"
  cp "$busybox" "$root/bin/busybox"
  # The marker names the kernel, so a log line shows which guest reached user space.
  cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
echo "VMTASK-PROBE-OK $(/bin/busybox cat /proc/sys/kernel/osrelease)" >/dev/ttyS0
/bin/busybox poweroff -f
INIT
  chmod 0755 "$root/init" "$root/bin/busybox"
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
    gzip -n -9 >"$work/initrd.img"
  cp "$kernel" "$work/vmlinuz"
  chmod 0644 "$work/vmlinuz" "$work/initrd.img"
  rm -rf "$out"
  mkdir -p "$out"
  mv "$work/vmlinuz" "$work/initrd.img" "$out/"
  touch "$out/.complete"
  log "built $out ($(du -k "$out/vmlinuz" | cut -f1) KiB kernel, $(du -k "$out/initrd.img" | cut -f1) KiB initramfs)"
fi
echo "PROBE_KERNEL=$out/vmlinuz"
echo "PROBE_INITRD=$out/initrd.img"
