#!/usr/bin/env bash
# Time from `kubectl apply` of a task (image already in the node cache) to its guest command
# running, next to a bare QEMU boot of the same guest disk to the same point, on this machine.
#
#   e2e/bench/apply-to-running.sh [runs]        (default 3 runs of each)
#
# Needs a cluster with vmtask installed whose node is this machine (scripts/quickstart.sh leaves
# one), KUBECONFIG or the testbed's kubeconfig, and the test guest (guest/build-test-image.sh).
#
# "Command running" is when the line printed by the guest command reaches this machine through
# `kubectl logs -f` of the task pod (so it includes the log path back to the user). The bare
# boot's equivalent point is the guest tools' first line on the serial console ("waiting for
# the metadata service"): the guest is up and about to fetch its command. Both use TCG, 1 vCPU,
# 256 MiB, the image's devices (pc, e1000 without option ROM, virtio-blk) and the agent's
# QEMU options, with a qcow2 overlay on the same disk. Figures vary with the machine's load:
# run it on an otherwise idle machine.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-3}
ns=vmtask-bench
# The guest computes the marker, so the spec (which the agent may log) does not contain it.
marker=vmtask-bench-42
. "$repo/testbed/lib/common.sh"
export PATH=$BIN:$PATH
export KUBECONFIG=${KUBECONFIG:-$ADMIN_KUBECONFIG}
work=$(mktemp -d)
http_pid=
cleanup() {
  [[ -z "$http_pid" ]] || kill "$http_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

guest_out=$(bash "$repo/guest/build-test-image.sh")
archive=$(sed -n 's/^IMAGE_TAR_ZST=//p' <<<"$guest_out")
disk=$(sed -n 's/^DISK_IMG=//p' <<<"$guest_out")
sha=$(sha256sum "$archive" | cut -d' ' -f1)
kubectl get deploy -A -l app.kubernetes.io/name=vmtask -o name | grep -q . ||
  { echo "apply-to-running: vmtask is not installed (run scripts/quickstart.sh)" >&2; exit 1; }

# --- bare QEMU ---------------------------------------------------------------------------
bare=()
for i in $(seq "$runs"); do
  qemu-img create -q -f qcow2 -F raw -b "$disk" "$work/bare.qcow2"
  start=$(now)
  {
    qemu-system-x86_64 -accel tcg -machine pc -cpu max -m 256 -smp 1 -nodefaults \
      -no-user-config -boot menu=off,strict=on -rtc base=utc -display none -serial stdio \
      -no-reboot -drive file="$work/bare.qcow2",format=qcow2,if=none,id=d0,cache=unsafe \
      -device virtio-blk-pci,drive=d0,bootindex=1 \
      -netdev user,id=n0,restrict=on -device e1000,netdev=n0,romfile= </dev/null &
    echo $! >"$work/qemu.pid"
    wait
  } 2>&1 | while IFS= read -r line; do
    if [[ "$line" == *"vmtask-guest: waiting for the metadata service"* ]]; then
      now >"$work/bare.done"
      kill "$(cat "$work/qemu.pid")" 2>/dev/null || true
    fi
  done
  [[ -s "$work/bare.done" ]] || { echo "apply-to-running: bare boot printed no marker" >&2; exit 1; }
  bare+=("$(elapsed "$start" "$(cat "$work/bare.done")")")
  rm -f "$work/bare.done" "$work/bare.qcow2"
  echo "bare QEMU boot to guest tools, run $i: ${bare[-1]} s"
done

# --- vmtask --------------------------------------------------------------------------------
node_ip=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
port=$((20000 + RANDOM % 20000))
python3 -m http.server --bind "$node_ip" --directory "$(dirname "$archive")" "$port" \
  >"$work/http.log" 2>&1 &
http_pid=$!
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$ns" delete vmt --all --wait >/dev/null
kubectl -n "$ns" delete vmimg bench-guest --ignore-not-found --wait >/dev/null
cat <<EOT | kubectl -n "$ns" apply -f - >/dev/null
apiVersion: vmtask.dev/v1alpha1
kind: VMImage
metadata: {name: bench-guest}
spec:
  source: {http: {url: "http://$node_ip:$port/$(basename "$archive")"}}
  sha256: "$sha"
  format: tar.zst
EOT

task() { # name: apply a task printing the marker, stream its log until the marker arrives
  local name=$1 start pod=
  start=$(now)
  cat <<EOT | kubectl -n "$ns" apply -f - >/dev/null
apiVersion: vmtask.dev/v1alpha1
kind: VirtualMachineTask
metadata: {name: $name}
spec:
  image: bench-guest
  command: ["sh", "-c", "echo vmtask-bench-\$((6*7))"]
  acceleration: tcg
  machine: {cpus: 1, memoryMiB: 256}
  maxRunTimeSeconds: 600
EOT
  rm -f "$work/task.done"
  for _ in $(seq 3000); do
    pod=$(kubectl -n "$ns" get pods -l "vmtask.dev/task=$name" -o name 2>/dev/null | head -n1)
    if [[ -n "$pod" ]]; then
      # The time is taken when the line arrives, not when kubectl logs ends.
      kubectl -n "$ns" logs -f "$pod" -c agent 2>/dev/null | while IFS= read -r line; do
        if [[ "$line" == *"$marker"* ]]; then now >"$work/task.done"; break; fi
      done
      [[ ! -s "$work/task.done" ]] || break
    fi
    sleep 0.1
  done
  [[ -s "$work/task.done" ]] || { echo "apply-to-running: task $name printed no marker" >&2; exit 1; }
  elapsed "$start" "$(cat "$work/task.done")"
}

warm=$(task bench-warmup) # fills the node cache and warms the operator
echo "vmtask warm-up (image download and cache): $warm s"
applied=()
for i in $(seq "$runs"); do
  applied+=("$(task "bench-$i")")
  for _ in $(seq 60); do # the agent's own timings arrive with the task's outcome
    timings=$(kubectl -n "$ns" get vmt "bench-$i" -o jsonpath='{.status.timings}' 2>/dev/null || true)
    [[ -z "$timings" ]] || break
    sleep 1
  done
  echo "vmtask apply to command running, run $i: ${applied[-1]} s  (agent timings: ${timings:-n/a})"
done
kubectl -n "$ns" delete vmt --all --wait=false >/dev/null

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
b=$(median "${bare[@]}") v=$(median "${applied[@]}")
echo
echo "median of $runs runs (TCG, 1 vCPU, 256 MiB):"
echo "  bare QEMU boot to guest tools:         $b s"
echo "  vmtask kubectl apply to command output: $v s"
awk -v b="$b" -v v="$v" 'BEGIN { printf "  ratio vmtask / bare:                    %.2f\n", v / b }'
