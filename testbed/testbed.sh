#!/usr/bin/env bash
# A real single-node Kubernetes for vmtask's tests: etcd, kube-apiserver, controller-manager
# and scheduler, plus (full mode) containerd, kubelet and kube-proxy, all as host processes.
#
#   testbed.sh up [--control-plane-only | --nodes N]
#                                          start (no-op when already up and healthy); --nodes 2
#                                          adds a second node on this host (own containerd,
#                                          kubelet, root directory and pod CIDR)
#   testbed.sh down                        stop everything and clean the host
#   testbed.sh status                      which component runs, whether the node is Ready
#   testbed.sh kubeconfig                  print the admin kubeconfig's path
#   testbed.sh kubelet-dir                 print the kubelet's --root-dir (CSI drivers need it)
#   testbed.sh logs [component]            list log files, or print a component's log tail
#   testbed.sh restart-kubelet             stop the kubelet and start it again (pods keep running)
#   testbed.sh stop-kubelet [N]            stop node N's kubelet (default 1): the node is lost
#   testbed.sh start-kubelet [N]           start it again
#   testbed.sh node-down N                 remove node N (N > 1) and what it left on the host
#
# Environment: KUBECONFIG (a reachable cluster is used instead of starting one),
# VMTASK_TESTBED_BIN (official release binaries), VMTASK_TESTBED_STATE (state directory,
# default /var/lib/vmtask-testbed). See docs/testbed.md.
set -euo pipefail
TESTBED_DIR=$(cd "$(dirname "$0")" && pwd)
for f in common proc pki control-plane node down; do . "$TESTBED_DIR/lib/$f.sh"; done

usage() {
  sed -n '5,18s/^# //p' "$0" >&2
  exit 2
}

DAEMONS="etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy"

existing_cluster() { # true when KUBECONFIG names a reachable cluster that is not ours
  [[ -n "${KUBECONFIG:-}" && "$KUBECONFIG" != "$ADMIN_KUBECONFIG" ]] || return 1
  local k
  k=$(command -v kubectl || echo "$BIN/kubectl")
  [[ -x "$k" ]] || return 1
  timeout 15 "$k" get --raw /readyz --request-timeout=10s >/dev/null 2>&1
}

with_lock() { # serialise up/down across callers (several test JVMs may start at once)
  mkdir -p "$STATE"
  exec 9>"$STATE/lock"
  if ! flock -n 9; then
    say "waiting for another testbed.sh up/down to finish ($STATE/lock)"
    flock -w 600 9 || die lock "another testbed.sh has held $STATE/lock for over 600 s"
  fi
  "$@"
}

cmd_up() {
  local full=true start=$SECONDS ip nodes=1 n
  case "${1:-}" in
    --control-plane-only) full=false ;;
    --nodes) [[ "${2:-}" =~ ^[1-4]$ ]] || die up "--nodes takes 1 to 4"; nodes=$2 ;;
    "") ;;
    *) usage ;;
  esac
  if existing_cluster; then
    say "using existing cluster (KUBECONFIG=$KUBECONFIG)"
    return 0
  fi
  [[ -z "${KUBECONFIG:-}" || "$KUBECONFIG" == "$ADMIN_KUBECONFIG" ]] ||
    say "KUBECONFIG=$KUBECONFIG is not reachable; starting the testbed"
  ((EUID == 0)) || die up "must run as root (it starts containerd and kubelet, and writes $STATE)"
  need up curl openssl ss flock setsid
  "$TESTBED_DIR/build.sh" >/dev/null || die build "testbed/build.sh failed"
  ip=$(host_ip)
  if $full; then start_containerd; fi # in parallel with the control plane
  control_plane_up "$ip"
  if $full; then
    wait_containerd
    ensure_pause_image
    node_up "$ip"
    for ((n = 2; n <= nodes; n++)); do
      (node_settings "$n" && extra_node_up "$ip") || exit 1
    done
  fi
  say "up ($($full && echo full || echo control plane only)) in $((SECONDS - start))s; KUBECONFIG=$ADMIN_KUBECONFIG"
}

cmd_down() {
  local start=$SECONDS
  testbed_down
  say "down in $((SECONDS - start))s"
}

cmd_status() {
  local c pid rc=0
  for c in $DAEMONS; do
    if pid=$(pid_of "$c"); then
      printf '%-24s running (pid %s)\n' "$c" "$pid"
    else
      printf '%-24s stopped\n' "$c"
    fi
  done
  if [[ -f "$PKI/admin.crt" ]] && api_get /readyz >/dev/null 2>&1; then
    printf '%-24s ready\n' api
  else
    printf '%-24s not ready\n' api
    rc=1
  fi
  if running kubelet; then
    if node_ready; then printf '%-24s Ready\n' "node/$NODE_NAME"; else printf '%-24s NotReady\n' "node/$NODE_NAME"; fi
  fi
  for n in $(extra_nodes); do
    (
      node_settings "$n"
      for c in containerd kubelet; do
        if pid=$(pid_of "$c"); then printf '%-24s running (pid %s)\n' "$c (node $n)" "$pid"; else printf '%-24s stopped\n' "$c (node $n)"; fi
      done
      if node_ready; then printf '%-24s Ready\n' "node/$NODE_NAME"; else printf '%-24s NotReady\n' "node/$NODE_NAME"; fi
    )
  done
  return $rc
}

cmd_restart_kubelet() { # as an upgrade or a crash would: pods keep running, plugins must register again
  local start=$SECONDS
  running kubelet || die restart-kubelet "the kubelet is not running"
  stop_daemons 30 kubelet
  start_kubelet "$(host_ip)"
  wait_healthy kubelet 120 node_ready
  say "kubelet restarted in $((SECONDS - start))s"
}

cmd_stop_kubelet() { # node number: as a node that stops answering (its pods keep running)
  node_settings "${1:-1}"
  running kubelet || die stop-kubelet "the kubelet of node ${1:-1} is not running"
  stop_daemons 5 kubelet
  say "kubelet of $NODE_NAME stopped"
}

cmd_start_kubelet() { # node number
  node_settings "${1:-1}"
  start_kubelet "$(host_ip)"
  wait_healthy kubelet 120 node_ready
  say "kubelet of $NODE_NAME started"
}

cmd_node_down() { # node number > 1
  [[ "${1:-}" =~ ^[2-4]$ ]] || die node-down "takes a node number from 2 to 4"
  node_settings "$1"
  extra_node_down
  rm -rf "$NODE_DIR"
  say "node $1 ($NODE_NAME) removed"
}

cmd_logs() {
  if [[ -z "${1:-}" ]]; then
    ls -1 "$LOGS"/*.log 2>/dev/null || echo "no logs yet in $LOGS"
    return 0
  fi
  [[ -f "$LOGS/$1.log" ]] || die logs "no log for '$1' (components: $DAEMONS)"
  tail -n "${LINES_TO_SHOW:-200}" "$LOGS/$1.log"
}

case "${1:-}" in
  up) shift; with_lock cmd_up "$@" ;;
  down) with_lock cmd_down ;;
  status) cmd_status ;;
  kubeconfig) echo "$ADMIN_KUBECONFIG" ;;
  kubelet-dir) echo "$KUBELET_ROOT" ;;
  logs) cmd_logs "${2:-}" ;;
  restart-kubelet) with_lock cmd_restart_kubelet ;;
  stop-kubelet) with_lock cmd_stop_kubelet "${2:-1}" ;;
  start-kubelet) with_lock cmd_start_kubelet "${2:-1}" ;;
  node-down) with_lock cmd_node_down "${2:-}" ;;
  *) usage ;;
esac
