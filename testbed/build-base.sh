#!/usr/bin/env bash
# Builds the base image vmtask.dev/debian:bookworm into buildah's local storage, from a
# debootstrap (minbase) of Debian bookworm. Containerfiles built by build-image.sh start
# FROM it, since no registry is reachable. The rootfs tarball is cached by date in
# $VMTASK_CACHE/base/ and reused for 30 days; --refresh makes a new one.
#
#   testbed/build-base.sh [--refresh]
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

IMAGE=vmtask.dev/debian:bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=$VMTASK_CACHE/base
MAX_AGE_DAYS=30

refresh=false
case "${1:-}" in
  --refresh) refresh=true ;;
  "") ;;
  *) die base "unknown argument '$1' (usage: build-base.sh [--refresh])" ;;
esac
((EUID == 0)) || die base "must run as root (debootstrap and buildah storage)"
need base debootstrap buildah tar

mkdir -p "$CACHE"
tarball=
if ! $refresh; then
  tarball=$(find "$CACHE" -maxdepth 1 -name 'debian-bookworm-*.tar' -mtime -"$MAX_AGE_DAYS" | sort | tail -1)
fi

if [[ -z "$tarball" ]]; then
  start=$SECONDS
  tarball=$CACHE/debian-bookworm-$(date -u +%Y%m%d).tar
  rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "debootstrap bookworm from $MIRROR (a few minutes)"
  nice debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -n 20 "$CACHE/debootstrap.log" >&2; die base "debootstrap failed; see $CACHE/debootstrap.log"; }
  # What a container image needs that debootstrap leaves host-specific or absent.
  cat >"$rootfs/etc/apt/sources.list" <<EOT
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOT
  cat >"$rootfs/etc/apt/apt.conf.d/90container" <<'EOT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
EOT
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* \
    "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf "$rootfs"/etc/machine-id
  : >"$rootfs/etc/machine-id"
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  trap - EXIT
  echo "debootstrap done in $((SECONDS - start))s: $tarball ($(du -h "$tarball" | cut -f1))"
fi

date_label=$(basename "$tarball" .tar)
have=$(buildah inspect --type image --format '{{index .ImageAnnotations "dev.vmtask.base"}}' "$IMAGE" 2>/dev/null || true)
if [[ "$have" == "$date_label" ]]; then
  echo "$IMAGE is current ($date_label)"
  exit 0
fi
c=$(buildah from --quiet scratch)
trap 'buildah rm "$c" >/dev/null 2>&1 || true' EXIT
m=$(buildah mount "$c")
tar --numeric-owner --xattrs -C "$m" -xpf "$tarball"
buildah umount "$c" >/dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --cmd /bin/bash --annotation "dev.vmtask.base=$date_label" \
  --label "org.opencontainers.image.base.name=debian:bookworm" "$c"
buildah commit --quiet --rm "$c" "$IMAGE" >/dev/null
trap - EXIT
echo "$IMAGE built from $date_label ($(buildah images --format '{{.Size}}' "$IMAGE"))"
