#!/usr/bin/env bash
# Builds the vmtask operator, agent and node images with buildah (no registry, no Docker engine) and
# imports them into the testbed's containerd, through testbed/build-image.sh.
#
#   images/build.sh [operator] [agent] [node]      (default: all three)
#
# Env: VMTASK_VERSION (tag, default 0.1.0), VMTASK_IMAGE_BASE (FROM image, default the locally
# built vmtask.dev/debian:bookworm), VMTASK_REBUILD_JARS=1 to rebuild the jars even if present,
# VMTASK_BUILD_IMAGE_OPTS (options for testbed/build-image.sh, e.g. --no-import).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
version=${VMTASK_VERSION:-0.1.0}
base=${VMTASK_IMAGE_BASE:-vmtask.dev/debian:bookworm}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(operator agent node)

jar_of() { echo "$repo/$1/target/vmtask-$1.jar"; }

missing=()
for t in "${targets[@]}"; do
  case $t in operator | agent | node) ;; *) echo "images/build.sh: unknown image '$t' (operator|agent|node)" >&2; exit 2 ;; esac
  if [ "${VMTASK_REBUILD_JARS:-0}" = 1 ] || [ ! -f "$(jar_of "$t")" ]; then missing+=("$t"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  modules=$(IFS=,; echo "${missing[*]}")
  echo "images/build.sh: building jars ($modules)"
  (cd "$repo" && nice mvn -B -q -pl "$modules" -am package -DskipTests -DskipUnitTests)
fi

# The agent image carries the static guest agent, the node image the KVM probe guest (both cached
# by content hash, so this is quick).
for t in "${targets[@]}"; do
  if [ "$t" = agent ]; then "$repo/guest/build-agent.sh" >/dev/null; fi
  if [ "$t" = node ]; then
    probe=$(bash "$repo/node/probe/build-probe-guest.sh")
    mkdir -p "$repo/node/target/probe"
    cp "$(echo "$probe" | sed -n 's/^PROBE_KERNEL=//p')" "$repo/node/target/probe/vmlinuz"
    cp "$(echo "$probe" | sed -n 's/^PROBE_INITRD=//p')" "$repo/node/target/probe/initrd.img"
  fi
done

# The Containerfiles default to debian:bookworm-slim (what docker/podman users pull); no registry
# is reachable here, so build from a copy whose BASE default is the local base image.
[ "$base" != vmtask.dev/debian:bookworm ] || "$repo/testbed/build-base.sh" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

summary=()
for t in "${targets[@]}"; do
  name="vmtask.dev/vmtask-$t:$version"
  sed "s|^ARG BASE=.*|ARG BASE=$base|" "$repo/images/$t/Containerfile" >"$work/$t.Containerfile"
  start=$(date +%s)
  "$repo/testbed/build-image.sh" ${VMTASK_BUILD_IMAGE_OPTS:-} "$work/$t.Containerfile" "$repo" "$name"
  secs=$(( $(date +%s) - start ))
  size=$(buildah images --format '{{.Size}}' "$name" 2>/dev/null | head -n1)
  summary+=("$(printf '%-36s size %-10s build %4ss' "$name" "${size:-?}" "$secs")")
done

echo
echo "images/build.sh: built and imported"
printf '  %s\n' "${summary[@]}"
