# Shared settings for the testbed scripts (sourced, not run).
K8S_VERSION=${K8S_VERSION:-1.35.4}
VMTASK_CACHE=${VMTASK_CACHE:-$HOME/.cache/vmtask}
BIN=${VMTASK_TESTBED_BIN:-$VMTASK_CACHE/testbed/$K8S_VERSION}
STATE=${VMTASK_TESTBED_STATE:-/var/lib/vmtask-testbed}
COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl"

# Layout of the state directory.
PKI=$STATE/pki
LOGS=$STATE/logs
PIDS=$STATE/pids
CONF=$STATE/config
KUBECONFIGS=$STATE/kubeconfig
ADMIN_KUBECONFIG=$KUBECONFIGS/admin.kubeconfig
RUN_DIR=$STATE/run
CONTAINERD_SOCK=$RUN_DIR/containerd.sock

# The cluster's shape. The node name is the kubelet certificate's CN (system:node:<name>).
NODE_NAME=${VMTASK_TESTBED_NODE_NAME:-$(hostname | tr '[:upper:]' '[:lower:]')}
SERVICE_CIDR=10.0.0.0/24
API_SERVICE_IP=10.0.0.1
POD_CIDR=10.244.0.0/24
API_PORT=6443
# The kubelet asks containerd for this sandbox image; we build it locally (no registry).
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1

host_ip() { # the address of the default route's interface: what pods reach the API server at
  if [[ -n "${VMTASK_TESTBED_HOST_IP:-}" ]]; then echo "$VMTASK_TESTBED_HOST_IP"; return; fi
  local ip
  ip=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  [[ -n "$ip" ]] || ip=$(hostname -I 2>/dev/null | awk '{print $1}')
  [[ -n "$ip" ]] || die network "no IPv4 address found; set VMTASK_TESTBED_HOST_IP"
  echo "$ip"
}

die() { # component, message
  echo "testbed: $1: ${*:2}" >&2
  exit 1
}

fail() { # component, message: like die, plus the component's log file and its last lines
  local log=$LOGS/$1.log
  echo "testbed: $1: ${*:2}; see $log" >&2
  if [[ -s "$log" ]]; then tail -n 20 "$log" | sed 's/^/  | /' >&2; fi
  exit 1
}

say() { echo "testbed: $*"; }

need() { # component, commands...: fail clearly when a required program is missing
  local c=$1 p
  shift
  for p in "$@"; do
    command -v "$p" >/dev/null || die "$c" "$p is not installed (run testbed/install-deps.sh)"
  done
}
