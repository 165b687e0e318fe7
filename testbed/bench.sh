#!/usr/bin/env bash
# Measures the testbed: warm `up` (control plane only, then full from nothing), `down`, the
# memory of its components (sum of RSS, sampled every 0.5 s, peak and settled), binary sizes.
# The control-plane-only start is the baseline the full start is compared with.
# It stops a running testbed first (its cluster state is lost) and afterwards brings it back up
# in the mode it was in. Needs the binaries built (build.sh).
#
#   testbed/bench.sh [rounds]     (default 2 rounds; figures are per round, then the median)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/proc.sh"
rounds=${1:-2}
DAEMONS="etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy"

rss_kib() { # sum of the running daemons' resident memory
  local c pid sum=0 r
  for c in $DAEMONS; do
    pid=$(pid_of "$c") || continue
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    sum=$((sum + ${r:-0}))
  done
  echo "$sum"
}

sample_peak() { # command...: runs it while sampling; prints "<seconds> <peak MiB>"
  local peak=0 r start end
  start=$(date +%s.%N)
  "$@" >/dev/null &
  local job=$!
  while kill -0 "$job" 2>/dev/null; do
    r=$(rss_kib)
    ((r > peak)) && peak=$r
    sleep 0.5
  done
  wait "$job" || die bench "$* failed"
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $((peak / 1024))"
}

settled_mib() { # peak over 20 s after start-up, when controllers and the kubelet have settled
  local peak=0 r i
  for ((i = 0; i < 40; i++)); do
    r=$(rss_kib)
    ((r > peak)) && peak=$r
    sleep 0.5
  done
  echo $((peak / 1024))
}

components_hwm() { # per component: its own peak RSS (VmHWM) since start
  local c pid
  for c in $DAEMONS; do
    pid=$(pid_of "$c") || continue
    printf '  %-24s %5d MiB\n' "$c" $(($(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status") / 1024))
  done
}

leftovers() { # what `down` should have removed; prints nothing when the host is clean
  local c
  for c in $DAEMONS; do running "$c" && echo "process $c"; done
  grep -F " $STATE/" /proc/self/mountinfo | awk '{print "mount " $5}'
  ip link show cni0 >/dev/null 2>&1 && echo "link cni0"
  iptables -t nat -S 2>/dev/null | grep -E 'vmtask-testbed|KUBE-' | head -3 | sed 's/^/iptables /'
  local ns
  for ns in /run/netns/cni-*; do [[ -e "$ns" ]] && echo "netns ${ns##*/}"; done
  return 0
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

was=none
if running kubelet; then was=full; elif running kube-apiserver; then was=control-plane; fi
"$here/testbed.sh" down >/dev/null
cp=() full=() down=() cp_mem=() full_mem=() full_settled=()
for ((r = 1; r <= rounds; r++)); do
  read -r t m < <(sample_peak "$here/testbed.sh" up --control-plane-only)
  cp+=("$t") cp_mem+=("$m")
  t=$( { /usr/bin/time -f %e "$here/testbed.sh" down >/dev/null; } 2>&1 | tail -1)
  read -r t2 m < <(sample_peak "$here/testbed.sh" up)
  full+=("$t2") full_mem+=("$m")
  full_settled+=("$(settled_mib)")
  ((r == 1)) && hwm=$(components_hwm)
  t=$( { /usr/bin/time -f %e "$here/testbed.sh" down >/dev/null; } 2>&1 | tail -1)
  down+=("$t")
  left=$(leftovers)
  [[ -z "$left" ]] || { echo "down left behind:"; echo "$left"; }
  printf 'round %d: up --control-plane-only %.1f s (peak %d MiB), up %.1f s (peak %d MiB, settled %d MiB), down %.1f s\n' \
    "$r" "${cp[-1]}" "${cp_mem[-1]}" "${full[-1]}" "${full_mem[-1]}" "${full_settled[-1]}" "${down[-1]}"
done

m_cp=$(printf '%s\n' "${cp[@]}" | median)
m_full=$(printf '%s\n' "${full[@]}" | median)
printf '\nmedian of %d rounds:\n' "$rounds"
printf '  up --control-plane-only  %6.1f s   (baseline)\n' "$m_cp"
printf '  up (full)                %6.1f s   (%.2fx the baseline)\n' "$m_full" "$(echo "$m_full / $m_cp" | bc -l)"
printf '  down                     %6.1f s\n' "$(printf '%s\n' "${down[@]}" | median)"
printf '  RSS peak, control plane  %6.0f MiB\n' "$(printf '%s\n' "${cp_mem[@]}" | median)"
printf '  RSS peak, full           %6.0f MiB\n' "$(printf '%s\n' "${full_mem[@]}" | median)"
printf '  RSS settled, full        %6.0f MiB\n' "$(printf '%s\n' "${full_settled[@]}" | median)"
echo "peak RSS per component (VmHWM), full testbed, round 1:"
echo "$hwm"
echo "binaries ($BIN):"
for f in k8s etcd; do
  [[ -e "$BIN/$f" ]] && printf '  %-6s %s\n' "$f" "$(du -hL "$BIN/$f" | cut -f1)"
done
case $was in
  full) "$here/testbed.sh" up >/dev/null ;;
  control-plane) "$here/testbed.sh" up --control-plane-only >/dev/null ;;
esac
