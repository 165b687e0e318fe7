#!/bin/sh
# Boot benchmark of the Debian test guest (guest/build-debian-guest.sh), both under TCG with the
# same machine (1 vCPU, 512 MiB, virtio disk and NIC on user networking), runs interleaved:
#   bare   QEMU spawn to the serial `login:` prompt, disk on a throw-away overlay, no cloud-init
#          seed (cloud-init finds no datasource and stays off)
#   vmtask `vmtask-run` start (JVM, cached image, overlay, config drive, QEMU) to the first line of
#          the guest command's output: cloud-init starts the guest agent from the config drive
# Prints each run, the medians and their ratio.
#   guest/bench-debian-boot.sh [RUNS]      (default 3; root, as the build needs; needs
#                                          agent/target/vmtask-agent.jar and guest/build-agent.sh)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-3}
qcow2=$("$here/build-debian-guest.sh" | sed -n 's/^DEBIAN_QCOW2=//p')
[ -f "$qcow2" ] || { echo "bench-debian-boot: no image from build-debian-guest.sh" >&2; exit 1; }
"$here/build-agent.sh" >/dev/null
export QCOW2="$qcow2" RUNS="$runs" TIMEOUT="${VMTASK_BENCH_TIMEOUT:-600}" \
  RUN="$here/../agent/vmtask-run" CACHE="${VMTASK_BENCH_CACHE:-$HOME/.cache/vmtask/bench-images}"
python3 - <<'PY'
import os, select, statistics, subprocess, tempfile, time

qcow2, runs, timeout = os.environ["QCOW2"], int(os.environ["RUNS"]), float(os.environ["TIMEOUT"])

def until(cmd, marker, env=None):
    """Seconds from spawning cmd until marker appears on its stdout (matched on the stream)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env)
    seen = b""
    try:
        while time.monotonic() - t0 < timeout:
            ready, _, _ = select.select([p.stdout], [], [], 1)
            if not ready:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                raise SystemExit("%s exited before %r (exit %s)" % (cmd[0], marker, p.wait()))
            seen = (seen + chunk)[-4096:]
            if marker in seen:
                return time.monotonic() - t0
        raise SystemExit("no %r within %.0f s" % (marker, timeout))
    finally:
        # SIGTERM: vmtask-run aborts and takes QEMU down; bare QEMU just stops.
        p.terminate()
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait()

def bare():
    with tempfile.TemporaryDirectory() as d:
        ov = os.path.join(d, "ov.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", qcow2, ov],
                       check=True)
        return until(["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-machine", "pc",
                      "-m", "512M", "-smp", "1", "-nodefaults", "-display", "none",
                      "-serial", "stdio", "-no-reboot",
                      "-drive", "file=%s,format=qcow2,if=none,id=d0" % ov,
                      "-device", "virtio-blk-pci,drive=d0",
                      "-netdev", "user,id=n0,net=169.254.0.0/16",
                      "-device", "virtio-net-pci,netdev=n0,romfile="], b"login:")

def vmtask():
    env = dict(os.environ, VMTASK_STOP_GRACE_SECONDS="1")
    return until([os.environ["RUN"], "--accel", "tcg", "--cpus", "1", "--memory", "512",
                  "--cache", os.environ["CACHE"], "--format", "qcow2", qcow2, "--",
                  "sh", "-c", "echo command-running; sleep 600"], b"command-running", env)

vmtask()  # the first run imports the image into the cache; not counted
b, v = [], []
for i in range(runs):
    b.append(bare())
    v.append(vmtask())
    print("run %d: bare QEMU to login: %.2f s, vmtask-run to the command: %.2f s" % (i + 1, b[-1], v[-1]),
          flush=True)
mb, mv = statistics.median(b), statistics.median(v)
print("median bare QEMU to login: %.2f s, vmtask-run (cloud-init config drive) to the command: %.2f s,"
      " ratio %.2f (%d runs)" % (mb, mv, mv / mb, runs))
PY
