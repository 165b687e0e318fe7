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
CLUSTER_POD_CIDR=10.244.0.0/16
API_PORT=6443
# What differs between the nodes: node 1 is the host's own (the defaults below); further nodes
# (`up --nodes 2`) run their own containerd and kubelet on this host, in a mount namespace where
# the paths the kubelet and the node daemon have built in (its root, its device plugin directory,
# vmtask's cache) are the node's own directories (node_settings).
NODE=1
NODE_DIR=$STATE
POD_CIDR=10.244.0.0/24
CNI_BRIDGE=cni0
CONTAINERD_ROOT=$STATE/containerd
CONTAINERD_STATE=$RUN_DIR/containerd
KUBELET_PORT=10250
KUBELET_HEALTHZ_PORT=10248
KUBELET_CGROUP_ROOT=/
KUBELET_SERVING=kubelet-serving
KUBELET_CLIENT=kubelet
NODE_CONF=$CONF
NODE_MOUNT_NS=
NODE1_NAME=$NODE_NAME

node_settings() { # node number: switch every per-node setting to that node (in a subshell)
  NODE=$1
  ((NODE > 1)) || return 0
  NODE_NAME=$NODE1_NAME-$NODE
  NODE_DIR=$STATE/node$NODE
  POD_CIDR=10.244.$((NODE - 1)).0/24
  CNI_BRIDGE=cni$((NODE - 1))
  CONTAINERD_ROOT=$NODE_DIR/containerd
  CONTAINERD_STATE=$RUN_DIR/node$NODE/containerd
  CONTAINERD_SOCK=$RUN_DIR/node$NODE/containerd.sock
  KUBELET_PORT=$((10250 + 10 * (NODE - 1)))
  KUBELET_HEALTHZ_PORT=$((10248 + 10 * (NODE - 1)))
  KUBELET_CGROUP_ROOT=/vmtask-node$NODE
  KUBELET_SERVING=kubelet-serving-node$NODE
  KUBELET_CLIENT=kubelet-node$NODE
  NODE_CONF=$NODE_DIR/config
  NODE_MOUNT_NS=$RUN_DIR/node$NODE/ns/mnt
  CNI_CONF_DIR=$NODE_DIR/cni/net.d
  CNI_IPAM_DIR=$NODE_DIR/cni/ipam
  POD_LOGS=$NODE_DIR/pod-logs
  PIDS=$STATE/pids/node$NODE
  LOGS=$STATE/logs/node$NODE
}

extra_nodes() { # numbers of the nodes beyond the first that have state on this host
  local d
  for d in "$STATE"/node[0-9]*; do [[ -d "$d" ]] && echo "${d##*/node}"; done | sort -n
}

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
