#!/bin/sh
# Debian packages the guest image build needs (besides qemu-utils, busybox-static, cpio, zstd
# and linux-image-amd64, which the base machine has).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends \
  syslinux syslinux-common mtools dosfstools \
  busybox-static cpio zstd qemu-utils linux-image-amd64
