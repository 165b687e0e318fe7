#!/usr/bin/env bash
# Builds the testbed's Kubernetes (one multi-call binary) and etcd from their Go modules and
# caches them by version under $VMTASK_CACHE/testbed/<version>. A warm cache makes this a no-op.
# With VMTASK_TESTBED_BIN set to a directory holding official release binaries
# (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl, etcd) nothing is built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

if [[ -n "${VMTASK_TESTBED_BIN:-}" ]]; then
  for c in $COMPONENTS etcd; do
    [[ -x "$VMTASK_TESTBED_BIN/$c" ]] || die build "VMTASK_TESTBED_BIN=$VMTASK_TESTBED_BIN has no executable $c"
  done
  echo "using binaries from $VMTASK_TESTBED_BIN"
  exit 0
fi

cached() { [[ -x "$BIN/k8s" && -x "$BIN/etcd" ]]; }
if cached; then
  echo "testbed binaries cached in $BIN"
  exit 0
fi
# One build at a time: a second caller waits for the first one's result instead of racing it.
mkdir -p "$(dirname "$BIN")"
exec 8>"$BIN.lock"
flock -w 7200 8 || die build "another build.sh has held $BIN.lock for two hours"
if cached; then
  echo "testbed binaries cached in $BIN"
  exit 0
fi
command -v go >/dev/null || die build "go is not installed; it is needed to build Kubernetes from its modules"

mkdir -p "$BIN.tmp"
start=$(date +%s)
ver="v$K8S_VERSION"
minor=$(cut -d. -f2 <<<"$K8S_VERSION")
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld+=" -X $p.gitVersion=$ver -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ld+=" -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.gitTreeState=clean"
  ld+=" -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done
echo "building Kubernetes $ver (cold builds take about half an hour on 2 cores)"
(cd "$here/k8s" && CGO_ENABLED=0 go build -trimpath -tags selinux,notest,grpcnotrace \
  -ldflags "$ld" -o "$BIN.tmp/k8s" .) || die build "go build of Kubernetes failed"
echo "building etcd"
(cd "$here/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN.tmp/etcd" .) \
  || die build "go build of etcd failed"
for c in $COMPONENTS; do ln -sf k8s "$BIN.tmp/$c"; done
rm -rf "$BIN" && mv "$BIN.tmp" "$BIN"
echo "built in $(( $(date +%s) - start ))s into $BIN"
