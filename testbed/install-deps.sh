#!/usr/bin/env bash
# Installs (idempotently) the Debian bookworm packages the testbed and the image builds need.
# Go (to build Kubernetes, see build.sh) is not a Debian package here; it is checked only.
set -euo pipefail

PACKAGES=(
  containerd runc containernetworking-plugins # the node's container runtime and pod network
  iptables conntrack iproute2 kmod           # kube-proxy, bridge and masquerade rules
  openssl curl util-linux procps              # PKI, health checks, setsid/flock, sysctl
  mount                                       # the kubelet root as a shared mount
  buildah umoci skopeo debootstrap            # images without a registry or Docker engine
  gcc libc6-dev                               # the static pause binary
  tar ca-certificates
  bc time                                     # bench.sh
  openjdk-17-jdk-headless maven unzip         # the operator, agent and tests; install-go.sh
)

((EUID == 0)) || { echo "install-deps: must run as root" >&2; exit 1; }
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#PACKAGES[@]} packages present"
fi
command -v go >/dev/null || echo "install-deps: note: go is not on PATH; scripts/install-go.sh provides it" >&2
