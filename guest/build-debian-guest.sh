#!/bin/sh
# Builds a plain Debian bookworm cloud-style guest from Debian packages: the kind of image a user
# brings, with nothing of vmtask in it. debootstrap (minbase, no recommends) with Debian's cloud
# kernel, systemd, udev, cloud-init (NoCloud among its datasources) and ifupdown + isc-dhcp-client
# (cloud-init's eni renderer, as in Debian's bookworm cloud images), on an MBR disk that boots by
# itself: SeaBIOS -> syslinux's mbr.bin -> syslinux on partition 1 (FAT32, mounted as /boot) ->
# Debian's kernel and initramfs -> root on partition 2 (ext4, by UUID). No loop mounts: the
# filesystems are made from directories (mkfs.ext4 -d, mkfs.fat + mcopy) and placed with dd.
#
#   guest/build-debian-guest.sh [--refresh]     (root; DEBIAN_MIRROR, VMTASK_CACHE, VMTASK_GUEST_AGENT)
#
# Outputs, cached by content hash of this script in ${VMTASK_CACHE:-~/.cache/vmtask}/guest-debian/<hash>/:
#   rootfs/               the configured root tree (reused for the agent image)
#   debian.qcow2          standalone compressed qcow2 of the disk
# With VMTASK_GUEST_AGENT=/path/to/vmtask-guest (a static binary), also, in agent-<hash>/ where the
# hash covers the base, the binary and guest/agent/vmtask-guest.service:
#   debian-agent.qcow2    the same system with the agent at /usr/local/bin/vmtask-guest and its unit
#                         at /etc/systemd/system/vmtask-guest.service, enabled
# Prints KEY=path lines on stdout (GUEST_DIR, DEBIAN_QCOW2, DEBIAN_AGENT_QCOW2); logs go to stderr.
# Idempotent: a second run only prints; --refresh rebuilds.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache_root=${VMTASK_CACHE:-$HOME/.cache/vmtask}/guest-debian
agent_bin=${VMTASK_GUEST_AGENT:-}
agent_unit=$here/agent/vmtask-guest.service
suite=bookworm
# zstd: the initramfs compression initramfs-tools is configured for (a recommends).
# dbus and libpam-systemd: logind and hostnamectl (cloud-init sets the hostname through it), as
# systemd's recommends would bring. python3-cffi-backend: provides the virtual python3-cffi-backend-api-* that cloud-init's
# python3-cryptography needs (debootstrap's resolver does not follow Provides).
packages="linux-image-cloud-amd64 systemd-sysv udev cloud-init cloud-guest-utils ifupdown isc-dhcp-client util-linux mount e2fsprogs initramfs-tools zstd dbus libpam-systemd python3-cffi-backend"
boot_mib=128          # partition 1: FAT32 /boot (kernel + initramfs, room for one more pair)
free_mib=1024         # free space on the root filesystem
refresh=false

log() { echo "build-debian-guest: $*" >&2; }
usage() { echo "usage: $0 [--refresh]" >&2; exit 2; }
for arg in "$@"; do
  case "$arg" in
  --refresh) refresh=true ;;
  *) usage ;;
  esac
done
[ "$(id -u)" = 0 ] || { log "must run as root (debootstrap, chroot, file ownership in the image)"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || { log "missing $1: run $here/install-deps.sh"; exit 1; }; }
PATH=$PATH:/usr/sbin:/sbin
for tool in debootstrap mkfs.fat mcopy syslinux sfdisk mkfs.ext4 qemu-img sha256sum flock; do need "$tool"; done
mbr_bin=/usr/lib/syslinux/mbr/mbr.bin
[ -r "$mbr_bin" ] || { log "$mbr_bin missing (install syslinux-common)"; exit 1; }
if [ -n "$agent_bin" ]; then
  [ -x "$agent_bin" ] || { log "VMTASK_GUEST_AGENT=$agent_bin is not an executable file"; exit 1; }
fi

# The unit the agent's documentation describes; this copy is used until guest/agent has its own.
default_unit() {
  printf '%s\n' '[Unit]' 'Description=vmtask guest agent' 'After=network.target' '[Service]' \
    'ExecStart=/usr/local/bin/vmtask-guest run' 'Restart=on-failure' \
    'StandardOutput=journal+console' 'StandardError=journal+console' '[Install]' \
    'WantedBy=multi-user.target'
}
unit_text() { if [ -f "$agent_unit" ]; then cat "$agent_unit"; else default_unit; fi; }

key=$(cat "$self" | sha256sum | cut -c1-16)
out=$cache_root/$key
rootfs=$out/rootfs
# Filesystem and disk identifiers derive from the key: stable for one build, distinct between builds.
root_uuid=$(echo "$key" | sha256sum | cut -c1-32 | sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12})$/\1-\2-4\3-8\4-\5/')
boot_volid=$(echo "$key" | sha256sum | cut -c33-40)
boot_uuid=$(echo "$boot_volid" | tr a-f A-F | sed -E 's/^(.{4})(.{4})$/\1-\2/')
disk_id=0x$(echo "$key" | sha256sum | cut -c41-48)
if [ -n "$agent_bin" ]; then
  akey=$({ echo "$key"; sha256sum <"$agent_bin"; unit_text | sha256sum; } | sha256sum | cut -c1-16)
  aout=$out/agent-$akey
fi

print_outputs() {
  echo "GUEST_DIR=$out"
  echo "DEBIAN_QCOW2=$out/debian.qcow2"
  if [ -n "$agent_bin" ]; then echo "DEBIAN_AGENT_QCOW2=$aout/debian-agent.qcow2"; fi
}

complete() { [ -f "$out/.complete" ] && { [ -z "$agent_bin" ] || [ -f "$aout/.complete" ]; }; }
if ! $refresh && complete; then
  print_outputs
  exit 0
fi

mkdir -p "$cache_root"
# One build at a time per cache (tests may start several); the next one then finds the outputs.
exec 9>"$cache_root/.lock"
if ! flock -n 9; then
  log "waiting for another build in $cache_root"
  flock 9
fi
if ! $refresh && complete; then
  print_outputs
  exit 0
fi
work=$(mktemp -d "$cache_root/.build.XXXXXX")
cleanup() {
  for m in proc sys dev/pts dev; do
    if mountpoint -q "$work/root/$m" 2>/dev/null; then umount -l "$work/root/$m"; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# make_disk ROOTDIR OUTPUT.qcow2: the bootable disk from a configured root tree whose /boot holds
# the kernel and initramfs (they go to the FAT partition; the ext4 root gets an empty /boot).
make_disk() {
  src=$1 dest=$2
  kver=$(ls "$src/lib/modules" | sort -V | tail -n 1)
  # /boot's files go to partition 1; on the root, /boot is its (empty) mount point.
  rm -rf "$work/stage"
  mkdir -p "$work/stage/boot.d"
  mv "$src/boot/"* "$work/stage/boot.d/"
  # Root filesystem: the content, metadata overhead (inodes, journal) and $free_mib free.
  content_kib=$(du -sk "$src" | cut -f1)
  root_mib=$(( content_kib * 11 / 10 / 1024 + free_mib + 128 ))
  rm -f "$work/root.ext4"
  truncate -s "${root_mib}M" "$work/root.ext4"
  # -d copies the tree: owners, modes, hard and symbolic links, device nodes, xattrs.
  mkfs.ext4 -q -F -L root -U "$root_uuid" -E root_owner=0:0 -d "$src" "$work/root.ext4"

  cat >"$work/stage/syslinux.cfg" <<EOF
DEFAULT debian
PROMPT 0
TIMEOUT 0
LABEL debian
  KERNEL vmlinuz-$kver
  INITRD initrd.img-$kver
  APPEND root=UUID=$root_uuid ro console=ttyS0
EOF
  rm -f "$work/boot.fat"
  # -h: hidden sectors = the partition's start, which syslinux's boot sector relies on.
  mkfs.fat -C -F 32 -h 2048 -i "$boot_volid" -n BOOT "$work/boot.fat" $((boot_mib * 1024)) >/dev/null
  mcopy -m -i "$work/boot.fat" "$work/stage/boot.d/"* "$work/stage/syslinux.cfg" ::/
  mv "$work/stage/boot.d/"* "$src/boot/"

  boot_sectors=$((boot_mib * 2048))
  root_start=$((2048 + boot_sectors))
  root_sectors=$((root_mib * 2048))
  rm -f "$work/disk.raw"
  truncate -s $(( (root_start + root_sectors) * 512 )) "$work/disk.raw"
  sfdisk -q "$work/disk.raw" <<EOF
label: dos
label-id: $disk_id
unit: sectors
start=2048, size=$boot_sectors, type=c, bootable
start=$root_start, size=$root_sectors, type=83
EOF
  dd if="$mbr_bin" of="$work/disk.raw" bs=440 count=1 conv=notrunc status=none
  dd if="$work/boot.fat" of="$work/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
  syslinux --install --offset $((2048 * 512)) "$work/disk.raw"
  dd if="$work/root.ext4" of="$work/disk.raw" bs=1M seek=$((root_start / 2048)) conv=notrunc,sparse status=none
  rm -f "$work/root.ext4" "$work/boot.fat"
  log "disk: ${boot_mib} MiB FAT32 /boot + ${root_mib} MiB ext4 root (content $((content_kib / 1024)) MiB); converting to qcow2"
  qemu-img convert -q -c -f raw -O qcow2 "$work/disk.raw" "$dest"
  rm -f "$work/disk.raw"
}

if $refresh || [ ! -f "$out/.complete" ]; then
  $refresh && log "--refresh: rebuilding $out"
  rm -rf "$out"
  root=$work/root
  log "debootstrap $suite from $mirror"
  # Downloaded .debs are kept in $cache_root/debs for the next build (not part of the key).
  mkdir -p "$cache_root/debs"
  debootstrap --variant=minbase --components=main --cache-dir="$cache_root/debs" \
    --include="$(echo $packages | tr ' ' ,)" "$suite" "$root" "$mirror" >&2 2>&1 ||
    debootstrap_failed=1
  if [ -n "${debootstrap_failed:-}" ]; then
    log "debootstrap failed; see $root/debootstrap/debootstrap.log"
    tail -n 30 "$root/debootstrap/debootstrap.log" >&2 || true
    exit 1
  fi

  log "configuring"
  # The archive a Debian cloud image points at (not the build mirror).
  cat >"$root/etc/apt/sources.list" <<EOF
deb http://deb.debian.org/debian $suite main
deb http://deb.debian.org/debian $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
EOF
  echo debian >"$root/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  cat >"$root/etc/fstab" <<EOF
# <file system>                           <mount point> <type> <options>         <dump> <pass>
UUID=$root_uuid  /             ext4   errors=remount-ro 0      1
UUID=$boot_uuid                                 /boot         vfat   umask=0077,nofail 0      0
EOF
  # Again now that fstab names the root: the initramfs then checks it with fsck.ext4 before
  # mounting. FSTYPE: the hook cannot probe the root device, which exists only in the guest.
  echo FSTYPE=ext4 >"$root/etc/initramfs-tools/conf.d/fstype"
  chroot "$root" update-initramfs -u -k all >&2
  # Root locked, as cloud images have it: access is what cloud-init is given.
  chroot "$root" passwd -l root >/dev/null
  # ifupdown: loopback here; cloud-init writes interfaces.d/50-cloud-init for the NICs.
  printf 'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n' >"$root/etc/network/interfaces"
  # First boot makes its own identity.
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id" "$root/etc/resolv.conf"
  # Small: no apt lists or caches, docs (copyright kept), man pages, info.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/cache/debconf/*-old "$root"/var/log/*.log "$root"/var/log/apt/* "$root/debootstrap" \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian/*
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  # ... and apt keeps them out on later installs, as Debian's slim images do.
  cat >"$root/etc/dpkg/dpkg.cfg.d/excludes" <<'EOF'
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
EOF
  [ -n "$(ls "$root/boot/"vmlinuz-* 2>/dev/null)" ] && [ -n "$(ls "$root/boot/"initrd.img-* 2>/dev/null)" ] ||
    { log "no kernel or initramfs in $root/boot"; exit 1; }

  make_disk "$root" "$work/debian.qcow2"
  mkdir -p "$out"
  mv "$root" "$rootfs"
  mv "$work/debian.qcow2" "$out/"
  touch "$out/.complete"
  log "built $out/debian.qcow2 ($(du -h "$out/debian.qcow2" | cut -f1))"
fi

if [ -n "$agent_bin" ] && [ ! -f "$aout/.complete" ]; then
  [ -f "$agent_unit" ] || log "$agent_unit not found: using the documented unit text"
  log "agent image: $agent_bin"
  root=$work/root
  rm -rf "$root"
  cp -a "$rootfs" "$root"
  install -D -m 0755 "$agent_bin" "$root/usr/local/bin/vmtask-guest"
  unit_text >"$work/vmtask-guest.service"
  install -D -m 0644 "$work/vmtask-guest.service" "$root/etc/systemd/system/vmtask-guest.service"
  # What `systemctl enable` makes for WantedBy=multi-user.target.
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
  ln -sfn /etc/systemd/system/vmtask-guest.service \
    "$root/etc/systemd/system/multi-user.target.wants/vmtask-guest.service"
  rm -rf "$aout"
  mkdir -p "$aout"
  make_disk "$root" "$work/debian-agent.qcow2"
  mv "$work/debian-agent.qcow2" "$aout/"
  touch "$aout/.complete"
  log "built $aout/debian-agent.qcow2 ($(du -h "$aout/debian-agent.qcow2" | cut -f1))"
fi
print_outputs
