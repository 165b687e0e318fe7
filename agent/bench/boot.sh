#!/bin/sh
# Boot benchmark: time until the guest command runs through the agent, against a bare QEMU boot of
# the same disk to the same point (the guest tools starting to contact the host, marked on the
# serial console). Both under TCG, 1 vCPU, 256 MiB, warm image cache, the bare QEMU with the
# agent's device and boot options (minus QMP and guestfwd). Goal: ratio <= 1.5.
#   agent/bench/boot.sh [RUNS]      (default 3; needs target/vmtask-agent.jar)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
guest=$("$here/../guest/build-test-image.sh" 2>/dev/null | sed -n 's/^GUEST_DIR=//p')
cache=${VMTASK_BENCH_CACHE:-$HOME/.cache/vmtask/bench-images}
export HERE="$here" GUEST="$guest" CACHE="$cache" RUNS="$runs" VMTASK_STOP_GRACE_SECONDS=1
python3 - <<'PY'
import os, statistics, subprocess, tempfile, time

here, guest, cache, runs = os.environ["HERE"], os.environ["GUEST"], os.environ["CACHE"], int(os.environ["RUNS"])

def until(cmd, marker, stream):
    """Seconds from start until a line containing marker appears on stream (stdout|stderr)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    src = p.stdout if stream == "stdout" else p.stderr
    try:
        for line in src:
            if marker in line:
                return time.monotonic() - t0
        raise SystemExit("marker %r never seen from %s" % (marker, cmd[0]))
    finally:
        # SIGTERM: the agent aborts and takes QEMU down (SIGKILL would leave that to the kernel's
        # parent-death signal).
        p.terminate(); p.wait(timeout=120)

def bare():
    with tempfile.TemporaryDirectory() as d:
        ov = os.path.join(d, "ov.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                        os.path.join(guest, "disk.img"), ov], check=True)
        return until(["qemu-system-x86_64", "-no-user-config", "-nodefaults", "-machine", "pc",
                      "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "256M", "-display", "none",
                      "-serial", "stdio", "-no-reboot", "-boot", "menu=off,strict=on",
                      "-rtc", "base=utc", "-sandbox", "on,obsolete=deny,resourcecontrol=deny",
                      "-netdev", "user,id=n0,restrict=on,net=169.254.0.0/16",
                      "-device", "e1000,netdev=n0,romfile=",
                      "-drive", "file=%s,format=qcow2,if=none,id=d0,cache=unsafe,aio=threads" % ov,
                      "-device", "virtio-blk-pci,drive=d0,bootindex=1"],
                     "waiting for the metadata service", "stdout")

def agent():
    return until([os.path.join(here, "vmtask-run"), "--accel", "tcg", "--cpus", "1", "--cache", cache,
                  os.path.join(guest, "image.tar.zst"), "--", "echo", "GUEST-COMMAND-RUNNING"],
                 "GUEST-COMMAND-RUNNING", "stdout")

agent()  # warm the image cache (import is measured by agent/bench/import*, not here)
b, a = [], []
for i in range(runs):
    b.append(bare()); a.append(agent())
    print("run %d: bare QEMU to tools start %.2f s, agent start to command running %.2f s" % (i + 1, b[-1], a[-1]), flush=True)
mb, ma = statistics.median(b), statistics.median(a)
print("median bare QEMU  %.2f s" % mb)
print("median agent      %.2f s" % ma)
print("ratio agent/bare  %.2f (goal <= 1.5)" % (ma / mb))
# The minimum is the run least disturbed by other load on the machine.
print("fastest bare %.2f s, fastest agent %.2f s, ratio %.2f" % (min(b), min(a), min(a) / min(b)))
PY
