#!/usr/bin/env bash
# From a Debian bookworm machine (root) to the output of a command run in a QEMU VM by vmtask.
#
#   scripts/quickstart.sh [--all]
#
# Builds what is missing (packages, the testbed Kubernetes, the jars, the container images, the
# test guest image, a helm binary), starts the testbed unless KUBECONFIG points at a cluster,
# serves the guest image over HTTP on the node, installs the chart, applies examples/ and prints
# the guest's output and the task's status. Safe to run again: finished example tasks are
# replaced by fresh runs. --all also runs the script and artifact examples.
#
# Env: KUBECONFIG (use this cluster; its nodes must already have the vmtask images and reach
# this machine's HTTP server), VMTASK_NAMESPACE (chart, default vmtask-system),
# VMTASK_QUICKSTART_PORT (HTTP port for the image, default 8099), VMTASK_QUICKSTART_TIMEOUT
# (seconds per task, default 900), VMTASK_REBUILD=1 (rebuild jars and images).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
state=${VMTASK_QUICKSTART_STATE:-/var/lib/vmtask-quickstart}
namespace=${VMTASK_NAMESPACE:-vmtask-system}
port=${VMTASK_QUICKSTART_PORT:-8099}
timeout=${VMTASK_QUICKSTART_TIMEOUT:-900}
helm_version=v3.21.4
helm_dir=${VMTASK_CACHE:-$HOME/.cache/vmtask}/helm/$helm_version
artifact_dir=/var/lib/vmtask-artifacts
run_all=false
[[ "${1:-}" == --all ]] && run_all=true

step() { printf '\n== %s\n' "$*"; }
die() { echo "quickstart: $*" >&2; exit 1; }
((EUID == 0)) || die "run as root (the testbed runs containerd and the kubelet)"
mkdir -p "$state"
cd "$repo"

step "packages"
bash testbed/install-deps.sh
[[ ! -f guest/install-deps.sh ]] || bash guest/install-deps.sh
# Go builds the testbed and the guest agent; fetched from the Go module proxy when missing.
PATH="$(bash scripts/install-go.sh):$PATH"
export PATH
quickstart_packages=(python3 openjdk-17-jdk-headless maven)
missing=() apt_missing=()
for p in "${quickstart_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# A python3/java/mvn already on PATH (pyenv, sdkman, ...) is as good as the Debian package.
for p in "${missing[@]}"; do
  case $p in python3) command -v python3 >/dev/null && continue ;; openjdk-17-jdk-headless) command -v javac >/dev/null && continue ;; maven) command -v mvn >/dev/null && continue ;; esac
  apt_missing+=("$p")
done
if ((${#apt_missing[@]})); then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${apt_missing[@]}"
fi

step "cluster"
own_testbed=false
if [[ -n "${KUBECONFIG:-}" ]]; then
  echo "using the cluster of KUBECONFIG=$KUBECONFIG"
else
  bash testbed/testbed.sh up
  KUBECONFIG=$(bash testbed/testbed.sh kubeconfig)
  export KUBECONFIG
  own_testbed=true
fi
# The testbed's binaries (kubectl) and containerd socket; in a subshell, so that its helper
# functions do not replace ours.
testbed() { (. testbed/lib/common.sh && eval "$1"); }
export PATH=$(testbed 'echo "$BIN"'):$PATH
containerd_sock=$(testbed 'echo "$CONTAINERD_SOCK"')
command -v kubectl >/dev/null || die "no kubectl on PATH or in $BIN"
kubectl get --raw /readyz >/dev/null || die "the cluster at $KUBECONFIG does not answer"

step "jars"
if [[ "${VMTASK_REBUILD:-0}" == 1 || ! -f operator/target/vmtask-operator.jar || ! -f agent/target/vmtask-agent.jar || ! -f node/target/vmtask-node.jar ]]; then
  nice mvn -B -q -pl operator,agent,node -am package -DskipTests -DskipUnitTests
fi
ls -l operator/target/vmtask-operator.jar agent/target/vmtask-agent.jar node/target/vmtask-node.jar

step "container images"
if $own_testbed; then
  images_current=true
  for t in operator agent node; do
    ctr --address "$containerd_sock" -n k8s.io images ls -q | grep -qx "vmtask.dev/vmtask-$t:0.1.0" || images_current=false
    [[ "$t/target/vmtask-$t.jar" -ot "$state/images.stamp" ]] || images_current=false
  done
  if [[ "${VMTASK_REBUILD:-0}" == 1 ]] || ! $images_current; then
    bash images/build.sh
    touch "$state/images.stamp"
  else
    echo "vmtask.dev/vmtask-{operator,agent,node}:0.1.0 are current in the testbed"
  fi
else
  echo "external cluster: its nodes must have vmtask.dev/vmtask-{operator,agent,node}:0.1.0 (images/build.sh builds them)"
fi

step "guest image"
guest_out=$(bash guest/build-test-image.sh)
image_file=$(sed -n 's/^IMAGE_TAR_ZST=//p' <<<"$guest_out")
[[ -f "$image_file" ]] || die "guest/build-test-image.sh printed no IMAGE_TAR_ZST"
image_sha256=$(sha256sum "$image_file" | cut -d' ' -f1)
echo "$image_file sha256 $image_sha256"

step "serving the image"
node_ip=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
$own_testbed || node_ip=$(testbed host_ip) # pods of another cluster reach this machine, not their node
[[ -n "$node_ip" ]] || die "no node InternalIP"
serve_dir=$(dirname "$image_file")
pid=$(cat "$state/http.pid" 2>/dev/null || true)
if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -qF "$serve_dir" "/proc/$pid/cmdline" 2>/dev/null &&
  grep -qF "$node_ip" "/proc/$pid/cmdline"; then
  echo "already serving $serve_dir (pid $pid)"
else
  [[ -z "$pid" ]] || kill "$pid" 2>/dev/null || true
  setsid nohup python3 -m http.server --bind "$node_ip" --directory "$serve_dir" "$port" \
    >"$state/http.log" 2>&1 </dev/null &
  echo $! >"$state/http.pid"
  echo "python3 http.server on $node_ip:$port (pid $!, log $state/http.log)"
fi
image_url="http://$node_ip:$port/$(basename "$image_file")"
for _ in $(seq 50); do curl -fsI "$image_url" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsI "$image_url" >/dev/null || die "$image_url does not answer; see $state/http.log"

step "helm"
helm=$(command -v helm || true)
if [[ -z "$helm" ]]; then
  helm=$helm_dir/helm
  if [[ ! -x "$helm" ]]; then
    command -v go >/dev/null || die "no helm on PATH and no go to build $helm_version"
    echo "building helm $helm_version with go install (a few minutes, once)"
    v=helm.sh/helm/v3
    CGO_ENABLED=0 GOBIN=$helm_dir nice go install -trimpath -ldflags "-s -w \
      -X $v/internal/version.version=$helm_version -X $v/internal/version.gitTreeState=clean \
      -X $v/pkg/chartutil.k8sVersionMajor=1 -X $v/pkg/chartutil.k8sVersionMinor=35 \
      -X $v/pkg/lint/rules.k8sVersionMajor=1 -X $v/pkg/lint/rules.k8sVersionMinor=35" \
      "$v/cmd/helm@$helm_version"
  fi
fi
"$helm" version --short
kubelet_args=()
# The testbed's kubelet keeps its state (and so CSI registration and pod volumes) under its own root.
$own_testbed && kubelet_args=(--set "nodeDaemon.kubeletRootDir=$(bash testbed/testbed.sh kubelet-dir)")
"$helm" upgrade --install vmtask helm/vmtask --namespace "$namespace" --create-namespace \
  "${kubelet_args[@]}" --wait --timeout 5m
kubectl -n "$namespace" get pods -l app.kubernetes.io/instance=vmtask

step "examples"
render() { sed -e "s|\${VMTASK_IMAGE_URL}|$image_url|" -e "s|\${VMTASK_IMAGE_SHA256}|$image_sha256|" "$1"; }
# A changed image (new URL or digest) needs a new VMImage: spec changes are refused once used.
# A Failed image is retried by replacing it (after a fix to the agent, the server or the network).
if [[ "$(kubectl get vmimg test-guest -o jsonpath='{.spec.sha256} {.spec.source.http.url}' 2>/dev/null)" != "$image_sha256 $image_url" ||
  "$(kubectl get vmimg test-guest -o jsonpath='{.status.phase}' 2>/dev/null)" == Failed ]]; then
  kubectl delete vmimg test-guest --ignore-not-found --wait
fi
render examples/vmimage.yaml | kubectl apply -f -
tasks=(hello)
if $run_all; then
  tasks+=(script artifact)
  if $own_testbed; then install -d -o 10001 -g 10001 -m 0750 "$artifact_dir" "$artifact_dir/artifact"; fi
fi
for t in "${tasks[@]}"; do
  kubectl delete vmt "$t" --ignore-not-found --wait # tasks are immutable: a re-run is a new task
  kubectl apply -f "examples/task-$t.yaml"
done

status=0
for t in "${tasks[@]}"; do
  step "task $t"
  last= deadline=$((SECONDS + timeout))
  while :; do
    phase=$(kubectl get vmt "$t" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    [[ "$phase" == "$last" ]] || { echo "$(date -u +%T) $t: ${phase:-<no status yet>}"; last=$phase; }
    [[ "$phase" == Succeeded || "$phase" == Failed ]] && break
    ((SECONDS < deadline)) || { echo "quickstart: $t did not finish within ${timeout}s" >&2; status=1; break; }
    sleep 2
  done
  pod=$(kubectl get vmt "$t" -o jsonpath='{.status.podName}')
  if [[ -n "$pod" ]]; then
    echo "--- guest output (kubectl logs $pod)"
    kubectl logs "$pod" -c agent || true
    echo "---"
  fi
  kubectl get vmt "$t" -o jsonpath='phase={.status.phase} exitCode={.status.exitCode} reason={.status.reason} message={.status.message}{"\n"}'
  [[ "$t" != artifact ]] || kubectl get vmt "$t" -o jsonpath='{range .status.artifacts[*]}artifact {.name}: {.sizeBytes} bytes sha256 {.sha256} ({.claimName}/{.path}){"\n"}{end}{range .status.screenshot}screenshot: {.sizeBytes} bytes sha256 {.sha256} ({.claimName}/{.path}){"\n"}{end}'
  expected=Succeeded
  [[ "$t" != script ]] || expected=Failed # the script example exits 3 on purpose
  [[ "$phase" == "$expected" ]] || status=1
done

step "status"
kubectl get vmimg -o wide
kubectl get vmt -o wide
exit $status
