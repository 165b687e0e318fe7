#!/usr/bin/env bash
# Builds the vmtask operator and agent images with buildah (no registry, no Docker engine) and
# imports them into the testbed's containerd, through testbed/build-image.sh.
#
#   images/build.sh [operator] [agent]      (default: both)
#
# Env: VMTASK_VERSION (tag, default 0.1.0), VMTASK_IMAGE_BASE (FROM image, default the locally
# built vmtask.dev/debian:bookworm), VMTASK_REBUILD_JARS=1 to rebuild the jars even if present.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
version=${VMTASK_VERSION:-0.1.0}
base=${VMTASK_IMAGE_BASE:-vmtask.dev/debian:bookworm}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(operator agent)

jar_of() { echo "$repo/$1/target/vmtask-$1.jar"; }

missing=()
for t in "${targets[@]}"; do
  case $t in operator | agent) ;; *) echo "images/build.sh: unknown image '$t' (operator|agent)" >&2; exit 2 ;; esac
  if [ "${VMTASK_REBUILD_JARS:-0}" = 1 ] || [ ! -f "$(jar_of "$t")" ]; then missing+=("$t"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  modules=$(IFS=,; echo "${missing[*]}")
  echo "images/build.sh: building jars ($modules)"
  (cd "$repo" && nice mvn -B -q -pl "$modules" -am package -DskipTests)
fi

summary=()
for t in "${targets[@]}"; do
  name="vmtask.dev/vmtask-$t:$version"
  start=$(date +%s)
  "$repo/testbed/build-image.sh" "$repo/images/$t/Containerfile" "$repo" "$name" \
    --build-arg "BASE=$base"
  secs=$(( $(date +%s) - start ))
  size=$(buildah images --format '{{.Size}}' "$name" 2>/dev/null | head -n1)
  summary+=("$(printf '%-36s size %-10s build %4ss' "$name" "${size:-?}" "$secs")")
done

echo
echo "images/build.sh: built and imported"
printf '  %s\n' "${summary[@]}"
