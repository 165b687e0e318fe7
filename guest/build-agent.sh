#!/bin/sh
# Builds the guest agent (guest/agent, Go, standard library only) as one static binary:
#   guest/build-agent.sh [--test]
# The binary is cached by a hash of the module's sources, the Go version and this script in
# ${VMTASK_CACHE:-~/.cache/vmtask}/guest-agent/<hash>/vmtask-guest and copied to
# guest/agent/target/vmtask-guest. --test also runs go vet and the unit tests.
# Prints GUEST_AGENT=<path> on stdout (logs go to stderr). Idempotent.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
mod=$here/agent
cache_root=${VMTASK_CACHE:-$HOME/.cache/vmtask}/guest-agent
run_tests=0
case "${1:-}" in
--test) run_tests=1 ;;
'') ;;
*) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

log() { echo "build-agent: $*" >&2; }
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[ -x "$go" ] || { log "go not found (set GO or install Go >= 1.22 at /usr/local/go)"; exit 1; }
# Never download another toolchain, never stamp VCS state: the binary depends on its sources only.
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOOS=linux GOARCH=${GOARCH:-amd64}

cd "$mod"
if [ "$run_tests" = 1 ]; then
  log "go vet and unit tests"
  unformatted=$("$(dirname "$go")/gofmt" -l . 2>/dev/null || true)
  [ -z "$unformatted" ] || { log "not gofmt'd: $unformatted"; exit 1; }
  # Tests run on the host: GOOS/GOARCH of the guest do not apply.
  env -u GOOS -u GOARCH "$go" vet ./... >&2
  env -u GOOS -u GOARCH "$go" test -count=1 ./... >&2
fi

key=$({
  cat "$here/build-agent.sh"
  "$go" version
  echo "$GOOS/$GOARCH"
  find . -path ./target -prune -o -type f \( -name '*.go' -o -name 'go.*' \) -print |
    LC_ALL=C sort | xargs sha256sum
} | sha256sum | cut -c1-16)
out=$cache_root/$key

if [ ! -f "$out/vmtask-guest" ]; then
  log "building $out/vmtask-guest ($("$go" version))"
  mkdir -p "$cache_root"
  work=$(mktemp -d "$cache_root/.build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  "$go" build -trimpath -ldflags "-s -w -buildid=" -o "$work/vmtask-guest" .
  rm -rf "$out"
  mkdir -p "$out"
  mv "$work/vmtask-guest" "$out/vmtask-guest"
  log "built $(wc -c <"$out/vmtask-guest") bytes"
fi

mkdir -p "$mod/target"
if ! cmp -s "$out/vmtask-guest" "$mod/target/vmtask-guest"; then
  cp "$out/vmtask-guest" "$mod/target/vmtask-guest.tmp"
  mv "$mod/target/vmtask-guest.tmp" "$mod/target/vmtask-guest"
fi
echo "GUEST_AGENT=$mod/target/vmtask-guest"
