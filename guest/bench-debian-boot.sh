#!/bin/sh
# Boot benchmark of the Debian test guest (guest/build-debian-guest.sh): seconds from spawning QEMU
# to the serial `login:` prompt, bare QEMU under TCG (no KVM), 1 vCPU, 512 MiB, the disk as
# virtio-blk on a throw-away qcow2 overlay, virtio-net on user networking (169.254.0.0/16), no
# cloud-init seed (cloud-init finds no datasource and stays off). Prints each run and the median.
#   guest/bench-debian-boot.sh [RUNS]      (default 3; root, as the build needs)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-3}
qcow2=$("$here/build-debian-guest.sh" | sed -n 's/^DEBIAN_QCOW2=//p')
[ -f "$qcow2" ] || { echo "bench-debian-boot: no image from build-debian-guest.sh" >&2; exit 1; }
export QCOW2="$qcow2" RUNS="$runs" TIMEOUT="${VMTASK_BENCH_TIMEOUT:-600}"
python3 - <<'PY'
import os, select, statistics, subprocess, tempfile, time

qcow2, runs, timeout = os.environ["QCOW2"], int(os.environ["RUNS"]), float(os.environ["TIMEOUT"])

def boot():
    """Seconds from spawning QEMU until `login:` appears on the serial console."""
    with tempfile.TemporaryDirectory() as d:
        ov = os.path.join(d, "ov.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", qcow2, ov],
                       check=True)
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-machine", "pc", "-m", "512M",
               "-smp", "1", "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
               "-drive", "file=%s,format=qcow2,if=none,id=d0" % ov,
               "-device", "virtio-blk-pci,drive=d0",
               "-netdev", "user,id=n0,net=169.254.0.0/16",
               "-device", "virtio-net-pci,netdev=n0,romfile="]
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        seen = b""
        try:
            while time.monotonic() - t0 < timeout:
                ready, _, _ = select.select([p.stdout], [], [], 1)
                if not ready:
                    continue
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    raise SystemExit("QEMU exited before login: (exit %s)" % p.wait())
                # The prompt has no newline after it: match on the stream, not on lines.
                seen = (seen + chunk)[-4096:]
                if b"login:" in seen:
                    return time.monotonic() - t0
            raise SystemExit("no login: prompt within %.0f s" % timeout)
        finally:
            p.kill(); p.wait()

times = []
for i in range(runs):
    times.append(boot())
    print("run %d: QEMU spawn to login: %.2f s" % (i + 1, times[-1]), flush=True)
print("median bare QEMU to login: %.2f s (%d runs, fastest %.2f s)" % (statistics.median(times), runs, min(times)))
PY
