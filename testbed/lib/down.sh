# Stopping the testbed and removing what it left on the host (sourced). Every step tolerates
# finding nothing, so `down` is idempotent and also cleans up after a crashed `up`.

kill_pod_containers() { # while containerd still runs: stop every container of every pod
  running containerd || return 0
  local ids id
  ids=$(ctr_ tasks ls -q 2>/dev/null) || return 0
  for id in $ids; do ctr_ tasks kill --all --signal SIGKILL "$id" >/dev/null 2>&1 || true; done
  sleep 0.5
  for id in $ids; do ctr_ tasks delete --force "$id" >/dev/null 2>&1 || true; done
  ids=$(ctr_ containers ls -q 2>/dev/null) || return 0
  for id in $ids; do ctr_ containers delete "$id" >/dev/null 2>&1 || true; done
}

kill_leftover_shims() { # shims serving our containerd outlive it by design
  local p
  for p in /proc/[0-9]*; do
    [[ "$(readlink "$p/exe" 2>/dev/null)" == */containerd-shim* ]] || continue
    [[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" == *"-address $CONTAINERD_SOCK "* ]] || continue
    kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
}

unmount_under() { # dir: unmount it and every mount below it, deepest first
  local m
  for m in $(awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "down: could not unmount $m"
  done
}

remove_pod_netns() { # network namespaces of our pods: they hold an address from our pod CIDR
  local ns prefix=${POD_CIDR%.*}.
  for ns in /run/netns/cni-*; do
    [[ -e "$ns" ]] || continue
    [[ "$(ip netns exec "${ns##*/}" ip -4 -o addr show 2>/dev/null)" == *" $prefix"* ]] || continue
    umount "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
}

remove_pod_cgroups() { # kubelet's cgroup tree (cgroupfs driver), deepest first
  local d root=${KUBELET_CGROUP_ROOT%/}
  for d in $(find /sys/fs/cgroup/*"$root"/kubepods -depth -type d 2>/dev/null || true); do
    rmdir "$d" 2>/dev/null || true
  done
}

node_network_down() {
  while iptables -w 10 -t nat -D "${MASQ_RULE[@]}" 2>/dev/null; do :; done
  if [[ -x "$BIN/kube-proxy" ]]; then timeout 60 "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  local t ipt
  for ipt in iptables ip6tables; do # the kubelet's canary chains; kube-proxy --cleanup keeps them
    for t in mangle nat filter; do
      "$ipt" -w 10 -t "$t" -F KUBE-KUBELET-CANARY 2>/dev/null && "$ipt" -w 10 -t "$t" -X KUBE-KUBELET-CANARY 2>/dev/null
    done
  done
  ip link delete "$CNI_BRIDGE" 2>/dev/null || true
  # libcni's result cache: our network's entries, and the loopback entries of the same pods.
  local r id
  for r in /var/lib/cni/results/vmtask-testbed-*; do
    [[ -e "$r" ]] || continue
    id=${r#*/vmtask-testbed-}
    rm -f "$r" "/var/lib/cni/results/cni-loopback-${id%-*}-lo"
  done
  rm -rf "$CNI_IPAM_DIR"
  rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet 2>/dev/null || true
  local l
  for l in /var/log/containers/*.log; do
    [[ "$(readlink "$l" 2>/dev/null)" == "$POD_LOGS"/* ]] && rm -f "$l"
  done
  return 0
}

extra_node_down() { # runs with node_settings N: what extra_node_up made, gone
  stop_daemons 1 kubelet
  kill_pod_containers
  stop_daemons 3 containerd
  kill_leftover_shims
  remove_pod_netns
  remove_pod_cgroups
  rmdir /sys/fs/cgroup/*"$KUBELET_CGROUP_ROOT" 2>/dev/null || true
  # The namespace (and every mount in it) goes with its last process and this bind mount.
  umount "$NODE_MOUNT_NS" 2>/dev/null || true
  umount "$(dirname "$NODE_MOUNT_NS")" 2>/dev/null || true
  ip link delete "$CNI_BRIDGE" 2>/dev/null || true
  rm -rf "$CNI_IPAM_DIR" "$RUN_DIR/node$NODE" "$POD_LOGS"
  if api_get /readyz >/dev/null 2>&1; then kubectl_admin delete node "$NODE_NAME" --wait=false >/dev/null 2>&1 || true; fi
  return 0
}

testbed_down() {
  local n
  for n in $(extra_nodes); do (node_settings "$n" && extra_node_down); done
  # Nothing here needs a graceful shutdown (etcd starts empty every time): short graces.
  stop_daemons 1 kube-proxy kubelet kube-scheduler kube-controller-manager
  kill_pod_containers
  stop_daemons 3 kube-apiserver etcd containerd
  kill_leftover_shims
  unmount_under "$KUBELET_ROOT"
  unmount_under "$RUN_DIR"
  unmount_under "$STATE/containerd"
  remove_pod_netns
  remove_pod_cgroups
  node_network_down
  rm -rf "$STATE/etcd" "$RUN_DIR" "$POD_LOGS"
}
