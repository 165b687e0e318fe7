#!/bin/sh
# Debian packages the guest image build and the guest tests need. The base machine already has
# busybox-static, cpio, zstd, qemu-utils and linux-image-amd64; syslinux, syslinux-common, mtools
# and dosfstools are added here. Installs only what is missing.
set -eu
export DEBIAN_FRONTEND=noninteractive
packages="syslinux syslinux-common mtools dosfstools busybox-static cpio zstd qemu-utils linux-image-amd64"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $missing
fi
