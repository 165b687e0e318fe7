#!/usr/bin/env bash
# Image import benchmark. Prints figures and ratios against baselines run in this script:
#  1. cold import of a tar.zst (sparse-ish raw disk with real data) from a local HTTP server:
#     the agent (fetch + sha256 + zstd + tar + checks + publish) vs `curl | zstd -d | tar -xS`;
#  2. instance creation (Overlay.create) on a 10 GiB and on a 100 MiB image.
# Usage: agent/bench/import-throughput.sh [DATA_MIB (default 768)] [RUNS (default 3)]
#        (RUNS=0 skips the import part)
# Needs: java 17, qemu-img, GNU tar, zstd, curl, python3, bc (Debian: qemu-utils tar zstd curl
# python3 bc); builds the agent jar if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA_MIB=${1:-768}
RUNS=${2:-3}
JAR=agent/target/vmtask-agent.jar
if [[ ! -f $JAR ]]; then
  mvn -B -q -pl agent -am package -DskipTests -Dspotless.check.skip=true
fi
# The agent image's JVM flags (images/agent/vmtask-agent), and the same with the C2 compiler,
# whose SHA-256 intrinsic (SHA-NI) hashes about ten times faster than C1's plain Java.
JAVA=(java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx64m -cp "$JAR" dev.vmtask.agent.image.ImportBenchmark)
JAVA_C2=(java -XX:+UseSerialGC -Xmx64m -cp "$JAR" dev.vmtask.agent.image.ImportBenchmark)
WORK=$(mktemp -d /var/tmp/vmtask-bench.XXXXXX)
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# A disk of 2 GiB: real data (binaries and libraries from /usr, which compress like an OS disk)
# in three regions, holes elsewhere.
mkimage() { # dir disk_bytes data_mib
  local dir=$1 size=$2 data=$3 third
  mkdir -p "$dir"
  truncate -s "$size" "$dir/disk.img"
  third=$((data / 3))
  local off
  for off in 0 $(( size / 2 / 1048576 )) $(( size / 1048576 - third - 1 )); do
    { find /usr/lib /usr/bin /usr/share -type f -size +64k -print0 2>/dev/null | xargs -0 cat 2>/dev/null \
      | head -c $((third * 1048576)) | dd of="$dir/disk.img" bs=1M seek="$off" conv=notrunc,sparse status=none; } || true
  done
  (cd "$dir" && qemu-img create -q -f qcow2 -b disk.img -F raw -o lazy_refcounts=on layer.qcow2 \
    && echo '{"version": 1, "memory": 512}' > machine.json \
    && tar -Scf image.tar disk.img layer.qcow2 machine.json && zstd -q -3 --rm image.tar -o image.tar.zst)
}

if (( RUNS > 0 )); then
echo "== building a 2 GiB disk with ${DATA_MIB} MiB of data"
mkimage "$WORK/img" $((2 << 30)) "$DATA_MIB"
ARCHIVE=$WORK/img/image.tar.zst
SHA=$(sha256sum "$ARCHIVE" | cut -d' ' -f1)
ARCHIVE_BYTES=$(stat -c %s "$ARCHIVE")
echo "archive: $ARCHIVE_BYTES bytes, disk allocated: $(du -B1 "$WORK/img/disk.img" | cut -f1) bytes"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$WORK/img" >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/machine.json" && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT/image.tar.zst

echo "== cold import, $RUNS runs each (page cache warm for the archive, cold target)"
base_times=() base_sync_times=() agent_times=() agent_inner=() agent_c2_times=()
for i in $(seq "$RUNS"); do
  out=$WORK/base-$i; mkdir -p "$out"; sync
  t=$(now); curl -s "$URL" | zstd -dq | tar -xS -C "$out"; base_times+=("$(elapsed "$t")")
  sync; base_sync_times+=("$(elapsed "$t")") # the agent fsyncs before publishing
  rm -rf "$out"
  cache=$WORK/cache-$i; sync
  t=$(now); line=$("${JAVA[@]}" import "$URL" "$SHA" "$cache"); agent_times+=("$(elapsed "$t")")
  agent_inner+=("$(sed -E 's/.*import_seconds=([0-9.]+).*/\1/' <<<"$line")")
  rm -rf "$cache"; sync
  t=$(now); "${JAVA_C2[@]}" import "$URL" "$SHA" "$cache" >/dev/null; agent_c2_times+=("$(elapsed "$t")")
  rm -rf "$cache"
  echo "run $i: baseline ${base_times[-1]} s (${base_sync_times[-1]} s with sync), agent ${agent_times[-1]} s wall ($line), agent with C2 ${agent_c2_times[-1]} s wall"
done
b=$(printf '%s\n' "${base_times[@]}" | median)
bs=$(printf '%s\n' "${base_sync_times[@]}" | median)
a=$(printf '%s\n' "${agent_times[@]}" | median)
ai=$(printf '%s\n' "${agent_inner[@]}" | median)
ac2=$(printf '%s\n' "${agent_c2_times[@]}" | median)
printf 'baseline curl|zstd -d|tar -xS: median %.3f s, %.0f MB/s of archive\n' "$b" "$(echo "$ARCHIVE_BYTES / $b / 1000000" | bc -l)"
printf 'baseline + sync:               median %.3f s\n' "$bs"
printf 'agent import (JVM wall):       median %.3f s, %.0f MB/s of archive\n' "$a" "$(echo "$ARCHIVE_BYTES / $a / 1000000" | bc -l)"
printf 'agent import with C2 (wall):   median %.3f s, %.0f MB/s of archive\n' "$ac2" "$(echo "$ARCHIVE_BYTES / $ac2 / 1000000" | bc -l)"
printf 'agent import (in JVM):         median %.3f s\n' "$ai"
printf 'throughput ratio agent/baseline: %.2f (wall), %.2f (in JVM)  [goal >= 0.9]\n' \
  "$(echo "$b / $a" | bc -l)" "$(echo "$b / $ai" | bc -l)"
printf 'throughput ratio agent/(baseline + sync): %.2f (wall)\n' "$(echo "$bs / $a" | bc -l)"
printf 'throughput ratio agent with C2/baseline: %.2f (wall), /(baseline + sync): %.2f\n' \
  "$(echo "$b / $ac2" | bc -l)" "$(echo "$bs / $ac2" | bc -l)"

fi

echo "== instance creation (Overlay.create), 40 each, alternating"
mkimage "$WORK/small" $((100 << 20)) 30
mkimage "$WORK/big" $((10 << 30)) 30
out=$("${JAVA[@]}" overlay "$WORK/ocache" "$WORK/ovl" 40 "$WORK/small/image.tar.zst" "$WORK/big/image.tar.zst")
echo "$out"
sm=$(sed -nE '1s/.*overlay_ms_median=([0-9.]+).*/\1/p' <<<"$out")
gm=$(sed -nE '2s/.*overlay_ms_median=([0-9.]+).*/\1/p' <<<"$out")
printf 'creation time ratio 10 GiB / 100 MiB (medians): %.2f  [goal <= 1.1]\n' "$(echo "$gm / $sm" | bc -l)"
