#!/bin/sh
# Agent memory benchmark: the agent JVM's RSS while a VM runs (VmRSS sampled every 0.25 s, VmHWM
# at the end), with the JVM flags of agent/vmtask-run against the JVM's defaults. QEMU's own RSS
# (guest RAM + emulator) is printed for reference. Goal: agent RSS <= 150 MiB.
#   agent/bench/rss.sh [SECONDS]    (guest command: sleep SECONDS, default 20)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-20}
guest=$("$here/../guest/build-test-image.sh" 2>/dev/null | sed -n 's/^GUEST_DIR=//p')
cache=${VMTASK_BENCH_CACHE:-$HOME/.cache/vmtask/bench-images}
export HERE="$here" GUEST="$guest" CACHE="$cache" SECS="$secs"
python3 - <<'PY'
import os, subprocess, time

here, guest, cache, secs = os.environ["HERE"], os.environ["GUEST"], os.environ["CACHE"], os.environ["SECS"]

def status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) // 1024  # MiB
    except FileNotFoundError:
        return 0
    return 0

def children(pid):
    # Any thread of the JVM may have started QEMU, so look for the parent pid in every process.
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return out

def measure(java_opts):
    env = dict(os.environ)
    if java_opts is not None:
        env["VMTASK_JAVA_OPTS"] = java_opts
    p = subprocess.Popen([os.path.join(here, "vmtask-run"), "--accel", "tcg", "--cpus", "1",
                          "--cache", cache, os.path.join(guest, "image.tar.zst"), "--",
                          "sh", "-c", "echo running; sleep %s" % secs],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert "running" in p.stdout.readline()
    rss, hwm, qemu = 0, 0, 0
    while p.poll() is None:
        rss = max(rss, status(p.pid, "VmRSS"))
        hwm = max(hwm, status(p.pid, "VmHWM"))
        for c in children(p.pid):
            qemu = max(qemu, status(c, "VmRSS"))
        time.sleep(0.25)
    return rss, hwm, qemu

base = measure("")  # JVM defaults
tuned = measure(None)  # vmtask-run's flags
for name, (rss, hwm, qemu) in (("JVM defaults", base), ("vmtask-run flags", tuned)):
    print("%-17s agent max VmRSS %4d MiB, VmHWM %4d MiB; QEMU VmRSS %4d MiB" % (name, rss, hwm, qemu))
print("ratio tuned/default agent VmHWM %.2f (goal: tuned <= 150 MiB)" % (tuned[1] / base[1]))
PY
