# The node (sourced): containerd with the CRI plugin, the CNI bridge, the locally built pause
# image, kubelet and kube-proxy.

CNI_CONF_DIR=$STATE/cni/net.d
CNI_IPAM_DIR=$STATE/cni/ipam
KUBELET_ROOT=$STATE/kubelet
POD_LOGS=$STATE/pod-logs
MASQ_RULE=(POSTROUTING -s "$CLUSTER_POD_CIDR" ! -d "$CLUSTER_POD_CIDR" -m comment --comment vmtask-testbed -j MASQUERADE)

ctr_() { timeout 120 ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

write_containerd_config() {
  mkdir -p "$NODE_CONF" "$(dirname "$CONTAINERD_SOCK")"
  cat >"$NODE_CONF/containerd.toml" <<EOT
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"
# Plugins that need kernel features this machine lacks or files outside the state directory.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The kubelet asks for negative OOM scores (-998 for sandboxes), which need CAP_SYS_RESOURCE;
  # where that capability is withheld (as in some VMs) runc fails with "can't get final
  # child's PID from pipe". Clamp to containerd's own score instead.
  restrict_oom_score_adj = true
  # No hugetlb cgroup controller is mounted here.
  disable_hugetlb_controller = true
  tolerate_missing_hugetlb_controller = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CNI_CONF_DIR"
EOT
}

write_cni_config() {
  mkdir -p "$CNI_CONF_DIR" "$CNI_IPAM_DIR"
  # Masquerading is one rule of ours (node_network_up), not the bridge plugin's per-pod chains,
  # so a forced shutdown leaves nothing behind.
  cat >"$CNI_CONF_DIR/10-testbed.conflist" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "vmtask-testbed",
  "plugins": [
    {
      "type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$CNI_IPAM_DIR",
        "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOT
}

node_network_up() {
  # Pods reach services (kube-proxy's DNAT) and each other across cni0 through iptables.
  sysctl -qw net.ipv4.ip_forward=1 || die network "cannot enable net.ipv4.ip_forward"
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 ||
    die network "cannot enable net.bridge.bridge-nf-call-iptables (is br_netfilter available?)"
  iptables -w 10 -t nat -C "${MASQ_RULE[@]}" 2>/dev/null || iptables -w 10 -t nat -A "${MASQ_RULE[@]}" ||
    die network "cannot add the pod masquerade rule"
}

start_containerd() {
  running containerd && return 0
  need containerd containerd runc ctr
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] ||
    die containerd "CNI plugins missing in /usr/lib/cni (install containernetworking-plugins)"
  [[ -S "$CONTAINERD_SOCK" ]] && rm -f "$CONTAINERD_SOCK"
  write_containerd_config
  write_cni_config
  start_daemon containerd "$(command -v containerd)" --config "$NODE_CONF/containerd.toml"
}

wait_containerd() { wait_healthy containerd 60 timeout 5 ctr --address "$CONTAINERD_SOCK" version; }

ensure_pause_image() {
  ctr_ images ls -q 2>/dev/null | grep -qxF "$PAUSE_IMAGE" && return 0
  local tar=$VMTASK_CACHE/testbed/pause-${PAUSE_IMAGE##*:}.tar
  if [[ ! -s "$tar" ]]; then
    need pause gcc buildah
    say "building the pause image $PAUSE_IMAGE"
    local tmp c
    tmp=$(mktemp -d)
    gcc -static -Os -s -o "$tmp/pause" "$TESTBED_DIR/pause/pause.c" ||
      die pause "gcc -static failed (install gcc and libc6-dev)"
    c=$(buildah from --quiet scratch)
    buildah copy --quiet "$c" "$tmp/pause" /pause >/dev/null
    buildah config --entrypoint '["/pause"]' --user 65535:65535 "$c"
    mkdir -p "$(dirname "$tar")"
    buildah commit --quiet --format docker --rm "$c" "docker-archive:$tar.tmp:$PAUSE_IMAGE" >/dev/null ||
      die pause "buildah commit failed"
    mv "$tar.tmp" "$tar"
    rm -rf "$tmp"
  fi
  ctr_ images import "$tar" >/dev/null || die pause "importing $tar into containerd failed"
}

write_kubelet_config() {
  mkdir -p "$NODE_CONF" "$KUBELET_ROOT" "$POD_LOGS"
  cat >"$NODE_CONF/kubelet.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
# This machine has cgroup v1 only; Kubernetes 1.35 refuses it unless told otherwise.
failCgroupV1: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/$KUBELET_SERVING.crt
tlsPrivateKeyFile: $PKI/$KUBELET_SERVING.key
address: $1
port: $KUBELET_PORT
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
cgroupRoot: $KUBELET_CGROUP_ROOT
readOnlyPort: 0
# Nothing can be pulled again offline: never garbage-collect images, never evict for disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "0%", nodefs.available: "0%", nodefs.inodesFree: "0%", imagefs.available: "0%", imagefs.inodesFree: "0%"}
podLogsDir: $POD_LOGS
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
serializeImagePulls: false
EOT
}

# The kubelet's root as a mount of its own with shared propagation: a CSI driver's pod mounts it
# with mountPropagation: Bidirectional, and its mounts must reach the host (a host whose / is
# private, as in many VMs and containers, refuses such a volume).
share_kubelet_root() {
  mkdir -p "$KUBELET_ROOT"
  mountpoint -q "$KUBELET_ROOT" || mount --rbind "$KUBELET_ROOT" "$KUBELET_ROOT"
  mount --make-rshared "$KUBELET_ROOT"
}

ensure_cgroup_root() { # a further node's pods live under a cgroup of its own in every hierarchy
  [[ "$KUBELET_CGROUP_ROOT" != / ]] || return 0
  local h d
  for h in /sys/fs/cgroup/*/; do
    [[ "$h" == */unified/ ]] && continue
    d=$h${KUBELET_CGROUP_ROOT#/}
    mkdir -p "$d" || die kubelet "cannot create the cgroup $d"
    # A new cpuset is empty until given its parent's CPUs and memory nodes.
    if [[ -f "$d/cpuset.cpus" && -z "$(<"$d/cpuset.cpus")" ]]; then
      cat "$h/cpuset.cpus" >"$d/cpuset.cpus"
      cat "$h/cpuset.mems" >"$d/cpuset.mems"
    fi
  done
}

start_kubelet() {
  local ip=$1
  running kubelet && return 0
  check_ports_free kubelet "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT"
  write_kubelet_config "$ip"
  # Node 1's root is the host's; another node's is a mount of its own in its namespace.
  [[ -n "$NODE_MOUNT_NS" ]] || share_kubelet_root
  ensure_cgroup_root
  start_daemon kubelet "$BIN/kubelet" --config="$NODE_CONF/kubelet.yaml" \
    --kubeconfig="$KUBECONFIGS/$KUBELET_CLIENT.kubeconfig" --root-dir="$KUBELET_ROOT" \
    --hostname-override="$NODE_NAME" --node-ip="$ip" --v=1
}

write_kube_proxy_config() {
  mkdir -p "$CONF"
  cat >"$CONF/kube-proxy.yaml" <<EOT
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
# One kube-proxy serves every node of this host: they share its network namespace.
clusterCIDR: $CLUSTER_POD_CIDR
hostnameOverride: $NODE_NAME
# The node's IP, so kube-proxy need not wait for the kubelet to register the node.
bindAddress: $1
clientConnection: {kubeconfig: $KUBECONFIGS/kube-proxy.kubeconfig}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
iptables: {localhostNodePorts: false}
# Leave the host's conntrack sysctls alone.
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOT
}

start_kube_proxy() {
  running kube-proxy && return 0
  check_ports_free kube-proxy 10256 10249
  write_kube_proxy_config "$1"
  start_daemon kube-proxy "$BIN/kube-proxy" --config="$CONF/kube-proxy.yaml" --v=1
}

node_ready() {
  [[ "$(kubectl_admin get node "$NODE_NAME" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

node_up() { # host IP; the control plane is up
  local ip=$1
  need node iptables sysctl
  node_network_up
  start_kubelet "$ip"
  start_kube_proxy "$ip"
  wait_healthy kube-proxy 60 curl -fsS --max-time 2 http://127.0.0.1:10256/healthz
  wait_healthy kubelet 120 node_ready
}

# --- further nodes on this host (up --nodes N) ------------------------------------------------

# The node's mount namespace, kept open by a bind mount of it on $NODE_MOUNT_NS: inside it, the
# kubelet's root, its device plugin directory and vmtask's cache directory are the node's own,
# at the paths the kubelet, the chart and the node daemon expect on every node.
node_namespace_up() {
  local d
  d=$(dirname "$NODE_MOUNT_NS")
  [[ -e "$NODE_MOUNT_NS" ]] && nsenter --mount="$NODE_MOUNT_NS" true 2>/dev/null && return 0
  need node unshare nsenter
  mkdir -p "$d" "$NODE_DIR/kubelet" "$NODE_DIR/device-plugins" "$NODE_DIR/vmtask" \
    /var/lib/kubelet/device-plugins /var/lib/vmtask "$KUBELET_ROOT"
  # A namespace can only be kept on a file of a private mount.
  mountpoint -q "$d" || mount --bind "$d" "$d"
  mount --make-private "$d"
  touch "$NODE_MOUNT_NS"
  # The host's own mounts at those paths (node 1's shared kubelet root) go first: runtimes look
  # at the lowest mount of a path when they check its propagation.
  unshare --mount="$NODE_MOUNT_NS" --propagation private sh -ec "
    while mountpoint -q '$KUBELET_ROOT'; do umount -l '$KUBELET_ROOT'; done
    mount --rbind '$NODE_DIR/kubelet' '$KUBELET_ROOT'
    mount --make-rshared '$KUBELET_ROOT'
    mount --bind '$NODE_DIR/device-plugins' /var/lib/kubelet/device-plugins
    mount --bind '$NODE_DIR/vmtask' /var/lib/vmtask" ||
    die node "cannot set up the mount namespace of node $NODE"
}

# Images the first node holds (the pause image, vmtask's), copied into this node's containerd.
sync_images_from_node1() {
  local refs
  refs=$(timeout 120 ctr --address "$RUN_DIR/containerd.sock" --namespace k8s.io images ls -q |
    grep -v '^sha256:' || true)
  [[ -n "$refs" ]] || return 0
  # shellcheck disable=SC2086
  timeout 600 ctr --address "$RUN_DIR/containerd.sock" --namespace k8s.io images export \
    --platform linux/amd64 - $refs | ctr_ images import --platform linux/amd64 - >/dev/null ||
    die node "copying images from node 1 to node $NODE failed"
}

extra_node_up() { # host IP; node 1 is up; runs with node_settings N
  need node ctr
  ensure_node_pki "$1"
  node_namespace_up
  NODE_MOUNT_NS=$NODE_MOUNT_NS start_containerd
  wait_containerd
  sync_images_from_node1
  start_kubelet "$1"
  wait_healthy kubelet 120 node_ready
}
