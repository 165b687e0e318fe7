#!/usr/bin/env bash
# Builds a container image with buildah (no registry, no Docker engine) and imports it into
# the testbed's containerd (namespace k8s.io), where pods run it with
# imagePullPolicy: IfNotPresent.
#
#   testbed/build-image.sh [--build-arg K=V]... [--archive FILE] [--no-import] \
#                          <Containerfile> <context-dir> <name:tag>
#
#   --build-arg K=V  passed to the build (e.g. BASE=vmtask.dev/debian:bookworm)
#   --archive FILE   also keep the image as a docker-archive tarball at FILE
#   --no-import      build (and archive) only; the testbed need not be running
#
# FROM images must already be in buildah's storage: vmtask.dev/debian:bookworm comes from
# testbed/build-base.sh (run automatically when a Containerfile needs it). RUN steps run
# chrooted with the host's network, so apt-get works against the Debian mirror.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

usage() {
  sed -n '6,11s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

archive='' import=true build_args=()
while [[ "${1:-}" == --* ]]; do
  case "$1" in
    --build-arg) build_args+=(--build-arg "${2:?--build-arg needs K=V}"); shift 2 ;;
    --archive) archive=${2:?--archive needs a file}; shift 2 ;;
    --no-import) import=false; shift ;;
    *) usage ;;
  esac
done
(($# == 3)) || usage
containerfile=$1 context=$2 name=$3

[[ -f "$containerfile" ]] || die build-image "Containerfile $containerfile does not exist"
[[ -d "$context" ]] || die build-image "context directory $context does not exist"
# containerd would read "app:1" as docker.io/library/app:1 and the kubelet pulls ":latest"
# on every start, so both would make pods try a registry this machine cannot reach.
[[ "$name" =~ ^[a-z0-9.-]+\.[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9_.-]+$ || "$name" =~ ^localhost/ ]] ||
  die build-image "image name '$name' must be fully qualified with a tag, like vmtask.dev/agent:0.1.0"
[[ "$name" != *:latest ]] || die build-image "tag 'latest' makes the kubelet always pull; use a version tag"
((EUID == 0)) || die build-image "must run as root (buildah storage and containerd socket)"
need build-image buildah ctr

if $import; then
  timeout 10 ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1 ||
    die build-image "the testbed's containerd is not running at $CONTAINERD_SOCK (run testbed/testbed.sh up, or pass --no-import)"
fi
if grep -qF vmtask.dev/debian:bookworm "$containerfile" <(printf '%s\n' "${build_args[@]}"); then
  "$here/build-base.sh" >/dev/null
fi

start=$SECONDS
nice buildah bud --isolation chroot --pull=never --network host --format docker --layers \
  "${build_args[@]}" -f "$containerfile" -t "$name" "$context" ||
  die build-image "buildah bud failed for $containerfile (FROM images must exist locally: buildah images)"
built=$((SECONDS - start))

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar=${archive:-$tmp/image.tar}
rm -f "$tar"
buildah push --quiet "$name" "docker-archive:$tar:$name" || die build-image "buildah push to $tar failed"
if $import; then
  # Re-importing a tag can race containerd's garbage collection of the old image's layers
  # ("parent snapshot ... does not exist"); a second import unpacks what went missing.
  # Every node of the testbed has a containerd of its own (testbed.sh up --nodes N).
  for sock in "$CONTAINERD_SOCK" "$RUN_DIR"/node[0-9]*/containerd.sock; do
    [[ -S "$sock" ]] || continue
    for try in 1 2 3; do
      ctr --address "$sock" --namespace k8s.io images import "$tar" >/dev/null && break
      ((try < 3)) || die build-image "ctr images import of $tar into $sock failed 3 times"
      echo "build-image: import of $name failed (try $try of 3); retrying" >&2
      sleep 2
    done
  done
fi
size=$(buildah images --format '{{.Size}}' "$name" | head -1)
echo "image $name: $size, built in ${built}s, total $((SECONDS - start))s$($import && echo ', imported into the testbed')${archive:+, archive $archive}"
