#!/usr/bin/env bash
# How long `kubectl vmtask shell TASK -- true` takes, from the user's shell to the guest
# command's exit status, next to `kubectl exec` of `true` in the same task's pod (the API
# server, the kubelet and the container runtime, without the VM) and to the plugin starting
# alone (`kubectl vmtask help`: the JVM). Medians of N runs each, and the ratios.
#
#   cli/bench/shell-latency.sh [runs]        (default 10)
#
# Needs a cluster with vmtask installed whose node is this machine (scripts/quickstart.sh leaves
# one), KUBECONFIG or the testbed's kubeconfig, the test guest (guest/build-test-image.sh) and
# the plugin (cli/target/kubectl-vmtask, from mvn package). Run it on an otherwise idle machine.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10}
ns=vmtask-bench-shell
. "$repo/testbed/lib/common.sh"
export PATH=$repo/cli/target:$BIN:$PATH
export KUBECONFIG=${KUBECONFIG:-$ADMIN_KUBECONFIG}
[[ -x "$repo/cli/target/kubectl-vmtask" ]] ||
  { echo "shell-latency: build the plugin first (mvn -pl cli -am package)" >&2; exit 1; }
kubectl get deploy -A -l app.kubernetes.io/name=vmtask -o name | grep -q . ||
  { echo "shell-latency: vmtask is not installed (run scripts/quickstart.sh)" >&2; exit 1; }
work=$(mktemp -d)
http_pid=
cleanup() {
  [[ -z "$http_pid" ]] || kill "$http_pid" 2>/dev/null || true
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

guest_out=$(bash "$repo/guest/build-test-image.sh")
archive=$(sed -n 's/^IMAGE_TAR_ZST=//p' <<<"$guest_out")
sha=$(sha256sum "$archive" | cut -d' ' -f1)
node_ip=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
port=$((20000 + RANDOM % 20000))
python3 -m http.server --bind "$node_ip" --directory "$(dirname "$archive")" "$port" \
  >"$work/http.log" 2>&1 &
http_pid=$!
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
cat <<EOT | kubectl -n "$ns" apply -f - >/dev/null
apiVersion: vmtask.dev/v1alpha1
kind: VMImage
metadata: {name: guest}
spec:
  source: {http: {url: "http://$node_ip:$port/$(basename "$archive")"}}
  sha256: "$sha"
  format: tar.zst
---
apiVersion: vmtask.dev/v1alpha1
kind: VirtualMachineTask
metadata: {name: sleeper}
spec:
  image: guest
  command: ["sleep", "900"]
  acceleration: tcg
  machine: {cpus: 1, memoryMiB: 256}
  maxRunTimeSeconds: 1200
EOT
kubectl -n "$ns" wait vmt/sleeper --for=jsonpath='{.status.phase}'=Running --timeout=600s >/dev/null
pod=$(kubectl -n "$ns" get vmt sleeper -o jsonpath='{.status.podName}')

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
measure() { # label, command...: prints the median wall time of runs of the command
  local label=$1 t0 t1
  shift
  "$@" >/dev/null 2>&1 # warm-up: caches, connections
  : >"$work/$label"
  for _ in $(seq "$runs"); do
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "shell-latency: $label failed: $*" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$work/$label"
  done
  median <"$work/$label"
}

exec_s=$(measure exec kubectl -n "$ns" exec "$pod" -c agent -- true)
start_s=$(measure plugin-start kubectl vmtask help)
shell_s=$(measure shell kubectl vmtask shell sleeper -n "$ns" -T -- true)
tty_s=$(measure shell-tty kubectl vmtask shell sleeper -n "$ns" -t -- true)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf 'median of %d runs on %s (%d cores)\n' "$runs" "$(hostname)" "$(nproc)"
printf '  kubectl exec POD -- true (baseline)   %6.3f s\n' "$exec_s"
printf '  kubectl vmtask help (JVM start)       %6.3f s   %sx baseline\n' "$start_s" "$(ratio "$start_s" "$exec_s")"
printf '  kubectl vmtask shell -T -- true       %6.3f s   %sx baseline\n' "$shell_s" "$(ratio "$shell_s" "$exec_s")"
printf '  kubectl vmtask shell -t -- true (PTY) %6.3f s   %sx baseline\n' "$tty_s" "$(ratio "$tty_s" "$exec_s")"
