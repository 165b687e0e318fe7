#!/bin/sh
# Debian packages the guest image builds and the guest tests need. The base machine already has
# busybox-static, cpio, zstd, qemu-utils and linux-image-amd64; syslinux, syslinux-common, mtools
# and dosfstools are added here, and isolinux and xorriso for the test guest's bootable cdrom; debootstrap, e2fsprogs and fdisk (sfdisk) for the Debian test
# guest (guest/build-debian-guest.sh); qemu-system-x86 and socat to boot and talk to the guests;
# python3 for the boot benchmarks (agent/bench/boot.sh, guest/bench-debian-boot.sh).
# Installs only what is missing.
set -eu
export DEBIAN_FRONTEND=noninteractive
packages="syslinux syslinux-common isolinux xorriso mtools dosfstools busybox-static cpio zstd qemu-utils linux-image-amd64
  debootstrap e2fsprogs fdisk qemu-system-x86 socat python3"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $missing
fi
