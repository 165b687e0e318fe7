#!/usr/bin/env bash
# Builds gitops-health (kstatus of sigs.k8s.io/cli-utils and Argo CD's Lua interpreter behind a
# small command) once per content of its sources, into
# ${VMTASK_CACHE:-~/.cache/vmtask}/gitops-health/<hash>/gitops-health, and prints that path. Go comes from scripts/install-go.sh; modules from the Go module proxy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hash=$(cat "$here/main.go" "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)
out=${VMTASK_CACHE:-$HOME/.cache/vmtask}/gitops-health/$hash/gitops-health
if [[ ! -x $out ]]; then
  PATH="$(bash "$here/../../../../../scripts/install-go.sh"):$PATH"
  mkdir -p "$(dirname "$out")"
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out.tmp" .) >&2
  mv "$out.tmp" "$out"
fi
echo "$out"
