#!/usr/bin/env bash
# Makes a Go toolchain available (the testbed's Kubernetes and the guest agent are built with it):
# the one on PATH or in /usr/local/go when it is new enough, else Go's own toolchain module from the
# Go module proxy (no release page needed), checked against a pinned sha256 and unpacked into
# ${VMTASK_CACHE:-~/.cache/vmtask}/go/<version>. Prints the directory holding `go` on stdout.
set -euo pipefail
VERSION=1.26.8
SHA256=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7 # linux-amd64 module zip
MIN_MINOR=25 # k8s.io/kubernetes 1.35 needs go 1.25
log() { echo "install-go: $*" >&2; }

usable() { # usable GO: true when GO runs and is at least 1.MIN_MINOR
  local v
  v=$("$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  [[ ${v%%.*} == 1 ]] || return 1
  v=${v#1.}
  (( ${v%%[.a-z]*} >= MIN_MINOR ))
}

for candidate in "$(command -v go || true)" /usr/local/go/bin/go; do
  if [[ -n $candidate && -x $candidate ]] && usable "$candidate"; then
    dirname "$candidate"
    exit 0
  fi
done

dest=${VMTASK_CACHE:-$HOME/.cache/vmtask}/go/$VERSION
if [[ ! -x $dest/bin/go ]]; then
  proxy=${GOPROXY:-https://proxy.golang.org}
  proxy=${proxy%%,*}
  [[ $proxy == http* ]] || proxy=https://proxy.golang.org
  url=$proxy/golang.org/toolchain/@v/v0.0.1-go$VERSION.linux-amd64.zip
  log "fetching Go $VERSION from $url"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  curl -fsSL --retry 3 -o "$tmp/go.zip" "$url"
  echo "$SHA256  $tmp/go.zip" | sha256sum -c --quiet - || { log "checksum mismatch for $url"; exit 1; }
  command -v unzip >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q unzip >&2; }
  unzip -q "$tmp/go.zip" -d "$tmp/x"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest.tmp"
  mv "$tmp/x/golang.org/toolchain@v0.0.1-go$VERSION.linux-amd64" "$dest.tmp"
  chmod -R u+w "$dest.tmp"
  chmod +x "$dest.tmp/bin/"* "$dest.tmp/pkg/tool/"*/* 2>/dev/null || true
  mv "$dest.tmp" "$dest"
fi
"$dest/bin/go" version >&2
echo "$dest/bin"
