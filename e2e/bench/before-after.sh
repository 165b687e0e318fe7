#!/usr/bin/env bash
# Apply to command running for two versions of vmtask, in one run on this machine: the chart and
# images of REF (built from a git worktree, tagged before-<commit>) and those of this checkout,
# installed in turn and each measured by apply-to-running.sh, which also times a bare QEMU boot of
# the same guest in the same run. Each version is judged by its ratio to its own bare boot, so
# the machine's load while one version runs does not count against it.
#
#   e2e/bench/before-after.sh REF [runs]         (default 3 runs of each)
#
# Needs what apply-to-running.sh needs, with this checkout's images built (scripts/quickstart.sh
# leaves both). Leaves this checkout's chart installed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
ref=${1:?usage: e2e/bench/before-after.sh REF [runs]}
runs=${2:-3}
namespace=${VMTASK_NAMESPACE:-vmtask-system}
. "$repo/testbed/lib/common.sh"
export PATH=$BIN:$PATH
export KUBECONFIG=${KUBECONFIG:-$ADMIN_KUBECONFIG}
helm=$(command -v helm || echo "${VMTASK_CACHE:-$HOME/.cache/vmtask}/helm/v3.21.4/helm")
[[ -x "$helm" ]] || { echo "before-after: no helm (run scripts/quickstart.sh once)" >&2; exit 1; }

commit=$(git -C "$repo" rev-parse --short "$ref^{commit}")
tag=before-$commit
work=$(mktemp -d)
cleanup() {
  git -C "$repo" worktree remove --force "$work/before" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "=== building $ref ($commit) as tag $tag"
git -C "$repo" worktree add --detach "$work/before" "$commit" >/dev/null
if ctr --address "$CONTAINERD_SOCK" --namespace k8s.io images ls -q | grep -q "vmtask-operator:$tag\$"; then
  echo "images of $tag already in the testbed's containerd"
else
  # package, not install: the local Maven repository keeps this checkout's artifacts.
  (cd "$work/before" && nice mvn -B -q -ntp package -DskipTests -DskipUnitTests -pl operator,agent,node -am)
  VMTASK_VERSION=$tag bash "$work/before/images/build.sh" >"$work/images.log" 2>&1 ||
    { cat "$work/images.log" >&2; exit 1; }
fi

install() { # chart dir, image tag
  local chart=$1 tag=$2 args=()
  "$helm" uninstall vmtask --namespace "$namespace" --wait >/dev/null 2>&1 || true
  kubectl -n "$namespace" wait --for=delete pod -l app.kubernetes.io/instance=vmtask \
    --timeout 120s >/dev/null 2>&1 || true
  # Charts that serve images as CSI volumes need the testbed kubelet's root directory; older
  # ones kept their cache in a hostPath of their own layout: give them another directory, so the
  # two versions' caches never mix.
  if grep -q kubeletRootDir "$chart/values.yaml"; then
    args+=(--set "nodeDaemon.kubeletRootDir=$(bash "$repo/testbed/testbed.sh" kubelet-dir)")
  else
    args+=(--set "agent.cache.hostPath=/var/lib/vmtask-bench-$tag/cache")
  fi
  "$helm" install vmtask "$chart" --namespace "$namespace" --create-namespace --wait \
    --timeout 5m --set "image.tag=$tag" --set "agent.image.tag=$tag" \
    --set "nodeDaemon.image.tag=$tag" "${args[@]}" >/dev/null
}

measure() { # label, chart dir, image tag
  echo "=== $1"
  install "$2" "$3"
  bash "$repo/e2e/bench/apply-to-running.sh" "$runs" | tee "$work/$1.out"
}

current_tag=$(sed -n 's/^  tag: "\(.*\)"/\1/p' "$repo/helm/vmtask/values.yaml" | head -n1)
measure before "$work/before/helm/vmtask" "$tag"
measure after "$repo/helm/vmtask" "$current_tag"

figure() { sed -n "s/^  $2: *\([0-9.]*\).*/\1/p" "$work/$1.out"; }
bb=$(figure before 'bare QEMU boot to guest tools') vb=$(figure before 'vmtask kubectl apply to command output')
ba=$(figure after 'bare QEMU boot to guest tools') va=$(figure after 'vmtask kubectl apply to command output')
echo
echo "median of $runs runs each (TCG, 1 vCPU, 256 MiB):"
awk -v bb="$bb" -v vb="$vb" -v ba="$ba" -v va="$va" -v ref="$ref ($commit)" 'BEGIN {
  printf "  before, %-28s apply to command output %6.2f s, bare boot %6.2f s, ratio %.2f\n", ref, vb, bb, vb / bb
  printf "  after,  %-28s apply to command output %6.2f s, bare boot %6.2f s, ratio %.2f\n", "this checkout", va, ba, va / ba
  printf "  after / before (ratios to bare boot): %.2f  (goal: at most 1.10)\n", (va / ba) / (vb / bb)
}'
