# Starting, watching and stopping the testbed's daemons (sourced). Each daemon has a PID file
# and the path of its executable, so a stale PID reused by another program is never signalled.

pid_of() { # component -> prints its PID when it is running
  local f=$PIDS/$1.pid pid exe
  [[ -f "$f" ]] || return 1
  read -r pid exe <"$f" || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe"* ]] || return 1
  echo "$pid"
}

running() { pid_of "$1" >/dev/null; }

port_owner() { # port -> prints "name(pid)" of the listener, if any
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1(pid \2)/p' | head -1
}

check_ports_free() { # component, ports...
  local c=$1 p owner
  shift
  for p in "$@"; do
    owner=$(port_owner "$p")
    [[ -z "$owner" ]] || fail "$c" "port $p is already in use by $owner"
  done
}

start_daemon() { # component, executable, args...: runs it detached, logging to $LOGS/<component>.log
  local c=$1 exe=$2
  shift 2
  [[ -x "$exe" ]] || fail "$c" "executable $exe is missing"
  mkdir -p "$LOGS" "$PIDS"
  echo "=== $(date -u +%FT%TZ) starting: $exe $*" >>"$LOGS/$c.log"
  # setsid: the daemon survives the caller (a test JVM, a CI step) and its process group;
  # no inherited descriptors, or a caller reading our output would wait for the daemon.
  # Nor the lock descriptors (8, 9): the daemon would hold the lock for its whole life.
  # A further node's daemons run in its mount namespace (node.sh, node_namespace_up).
  local ns=()
  [[ -z "${NODE_MOUNT_NS:-}" ]] || ns=(nsenter "--mount=$NODE_MOUNT_NS" --)
  setsid "${ns[@]}" "$exe" "$@" </dev/null >>"$LOGS/$c.log" 2>&1 8>&- 9>&- &
  local pid=$! real i
  real=$(readlink -f "$exe")
  echo "$pid $real" >"$PIDS/$c.pid"
  # Until setsid has exec'd the daemon, /proc/<pid>/exe is not it and it would look dead.
  for ((i = 0; i < 50; i++)); do
    [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$real"* ]] && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
}

wait_healthy() { # component, timeout seconds, check command...: fails when it dies or times out
  local c=$1 timeout=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    running "$c" || fail "$c" "exited during start-up"
    ((SECONDS < deadline)) || fail "$c" "not healthy after ${timeout}s (check: $*)"
    sleep 0.5
  done
}

stop_daemons() { # grace seconds, components...: SIGTERM to all at once, SIGKILL after the grace
  local grace=$1 c pid i alive
  shift
  local pids=()
  for c in "$@"; do
    if pid=$(pid_of "$c"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for ((i = 0; i < grace * 10; i++)); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for c in "$@"; do rm -f "$PIDS/$c.pid"; done
}
