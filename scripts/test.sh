#!/usr/bin/env bash
# Runs every test layer on a fresh Debian machine (root): installs what is missing, builds the
# testbed Kubernetes (cached by version), starts it, builds the guest test image and the
# container images, then runs unit tests, *IT (real API server, real QEMU) and *E2E (chart
# installed on the full testbed). The testbed is stopped at the end unless KEEP_TESTBED=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
step() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

step "installing packages"
bash testbed/install-deps.sh
[[ -f guest/install-deps.sh ]] && bash guest/install-deps.sh
# Go builds the testbed and the guest agent; fetched from the Go module proxy when missing.
PATH="$(bash scripts/install-go.sh):$PATH"
export PATH

started_testbed=0
if [[ -z "${KUBECONFIG:-}" ]]; then
  step "starting the testbed (full)"
  bash testbed/testbed.sh up
  export KUBECONFIG=$(bash testbed/testbed.sh kubeconfig)
  started_testbed=1
fi
cleanup() {
  if [[ $started_testbed == 1 && "${KEEP_TESTBED:-0}" != 1 ]]; then
    step "stopping the testbed"
    bash testbed/testbed.sh down || true
  fi
}
trap cleanup EXIT

step "guest agent: go vet and unit tests"
sh guest/build-agent.sh --test

step "building the guest test image"
bash guest/build-test-image.sh

step "unit tests, formatting and CRD drift (mvn install)"
mvn -B -ntp install

step "container images"
bash images/build.sh

step "integration and end-to-end tests (mvn verify -Pe2e)"
mvn -B -ntp verify -Pe2e -DskipUnitTests
step "all tests passed"
