#!/usr/bin/env bash
# Image packaging benchmark: a task's disk (a qcow2 overlay on a sparse raw base) packaged as a
# taskcluster image.tar.zst, alternating, RUNS times each:
#  baseline: qemu-img convert -O raw, qemu-img create of layer.qcow2, then
#            tar -S -cf - disk.img layer.qcow2 machine.json | zstd -3 -q -o OUT
#  ours:     ImagePackager.write (qemu-img convert, map and create; tar, zstd, sha256, fsync,
#            rename) in a fresh JVM, with the agent image's JVM flags and with C1 only.
# Prints medians, throughput in MB/s of the disk's virtual size and of its data, output sizes and
# the throughput ratio baseline_seconds / ours_seconds (goal >= 0.9), both for the time inside
# the JVM (ImagePackager.write alone) and for the whole java process (JVM start included).
# Usage: agent/bench/package-throughput.sh [DATA_MIB (default 300)] [RUNS (default 3)]
# Needs: java 17, qemu-img, qemu-io, GNU tar, zstd, bc (Debian: qemu-utils tar zstd bc); builds
# the agent jar if it is missing or older than the sources.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA_MIB=${1:-300}
RUNS=${2:-3}
JAR=agent/target/vmtask-agent.jar
if [[ ! -f $JAR ]] || [[ -n $(find agent/src/main -newer "$JAR" -name '*.java' -print -quit) ]]; then
  # skipUnitTests: the parent pom sets surefire's skipTests from it, so -DskipTests alone runs them.
  mvn -B -q -pl agent -am package -DskipTests -DskipUnitTests=true -Dspotless.check.skip=true
fi
# The agent image's JVM flags (images/agent/vmtask-agent), and the same with C1 only, under which
# SHA-256 runs as plain Java (no SHA-NI intrinsic).
read -r -a OPTS <<<"$(sed -nE 's/.*VMTASK_AGENT_JAVA_OPTS:=([^}]*)}.*/\1/p' images/agent/vmtask-agent)"
(( ${#OPTS[@]} > 0 )) || OPTS=(-XX:+UseSerialGC -Xmx64m)
JAVA=(java "${OPTS[@]}" -cp "$JAR" dev.vmtask.agent.image.PackageBenchmark)
JAVA_C1=(java "${OPTS[@]}" -XX:TieredStopAtLevel=1 -cp "$JAR" dev.vmtask.agent.image.PackageBenchmark)
echo "agent JVM flags: ${OPTS[*]}"
WORK=$(mktemp -d /var/tmp/vmtask-pkgbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mbs() { echo "$1 / $2 / 1000000" | bc -l; }

# A 2 GiB raw base: ten regions at scattered, unaligned offsets, alternately random (incompressible)
# and text from /usr (compressible, like an OS disk's files), holes elsewhere; then a qcow2 overlay
# on it with a patterned write, a random write into a hole, and a zeroed range over base data.
SIZE=$((2 << 30))
REGION=$((DATA_MIB * 9 / 100)) # MiB per region: ten regions hold 90 % of DATA_MIB
SRC=$WORK/src
mkdir -p "$SRC"
echo "== building a $((SIZE >> 20)) MiB disk with about ${DATA_MIB} MiB of data"
t=$(now)
TEXT_BYTES=$((5 * REGION << 20))
find /usr/include /usr/share /usr/lib/python3* -type f -size +4k \
  \( -name '*.h' -o -name '*.txt' -o -name '*.py' -o -name '*.pm' -o -name '*.html' -o -name '*.xml' \
  -o -name '*.json' -o -name '*.js' -o -name '*.css' \) -print0 2>/dev/null \
  | xargs -0 cat 2>/dev/null | head -c "$TEXT_BYTES" >"$WORK/text" || true
# Fewer text files than needed on this machine: repeat them.
while (( $(stat -c %s "$WORK/text") < TEXT_BYTES )); do
  cat "$WORK/text" "$WORK/text" | head -c "$TEXT_BYTES" >"$WORK/text2"
  mv "$WORK/text2" "$WORK/text"
done
truncate -s "$SIZE" "$SRC/base.img"
for i in $(seq 0 9); do
  off=$(( (i * 204 + i * 37 % 97) << 20 ))
  off=$(( off + i * 4096 + (i % 3) * 512 ))
  if (( i % 2 == 0 )); then
    dd if=/dev/urandom of="$SRC/base.img" bs=1M count="$REGION" iflag=fullblock \
      oflag=seek_bytes seek="$off" conv=notrunc status=none
  else
    dd if="$WORK/text" of="$SRC/base.img" bs=1M skip=$(( (i / 2) * REGION )) count="$REGION" \
      oflag=seek_bytes seek="$off" conv=notrunc status=none
  fi
done
rm -f "$WORK/text"
head -c $((8 << 20)) /dev/urandom >"$WORK/random8m"
qemu-img create -q -f qcow2 -F raw -b "$SRC/base.img" "$SRC/overlay.qcow2"
zero_at=$(( (204 + 37) + 1 )) # 1 MiB into the second region (text)
qemu-io -f qcow2 -c 'write -P 0xcd 300M 16M' -c "write -s $WORK/random8m 1700M 8M" \
  -c "write -z ${zero_at}M 4M" "$SRC/overlay.qcow2" >/dev/null
echo '{"version": 1, "memory": 512}' >"$SRC/machine.json"
OVERLAY=$SRC/overlay.qcow2
printf 'built in %.1f s: base %d bytes allocated, overlay %d bytes\n' "$(elapsed "$t")" \
  "$(du -B1 "$SRC/base.img" | cut -f1)" "$(stat -c %s "$OVERLAY")"

echo "== packaging, $RUNS runs each, alternating (inputs in the page cache, outputs to $WORK)"
# "wall user sys" seconds of a command and its children (qemu-img, tar, zstd); its stdout goes to
# $WORK/stdout, its stderr to $WORK/stderr.log (printed if it fails).
timed() {
  local TIMEFORMAT='%R %U %S' t
  if ! t=$( { time "$@" >"$WORK/stdout" 2>>"$WORK/stderr.log"; } 2>&1 ); then
    cat "$WORK/stderr.log" >&2
    return 1
  fi
  echo "$t"
}
cpu() { awk '{print $2 + $3}' <<<"$1"; }
wall() { awk '{print $1}' <<<"$1"; }
field() { sed -nE "s/(^|.* )$1=([0-9.]+).*/\2/p" "$WORK/stdout"; }
baseline() { # dir out
  cd "$1" && qemu-img convert -q -f qcow2 -O raw "$OVERLAY" disk.img \
    && qemu-img create -q -f qcow2 -F raw -b disk.img -o lazy_refcounts=on layer.qcow2 \
    && tar -S -cf - disk.img layer.qcow2 machine.json | zstd -3 -q -o "$2"
}
base_t=() base_cpu=() base_sync_t=() ag_wall=() ag_cpu=() ag_in=() c1_wall=() c1_cpu=() c1_in=()
for i in $(seq "$RUNS"); do
  d=$WORK/base-$i
  mkdir -p "$d"
  cp "$SRC/machine.json" "$d/"
  sync
  t=$(timed baseline "$d" "$WORK/base-$i.tar.zst")
  base_t+=("$(wall "$t")") base_cpu+=("$(cpu "$t")")
  s=$(timed sync "$WORK/base-$i.tar.zst") # ImagePackager fsyncs its output
  base_sync_t+=("$(echo "$(wall "$t") + $(wall "$s")" | bc -l)")
  base_bytes=$(stat -c %s "$WORK/base-$i.tar.zst")
  rm -rf "$d"
  (( i < RUNS )) && rm -f "$WORK/base-$i.tar.zst"

  sync
  t=$(timed "${JAVA[@]}" package "$OVERLAY" qcow2 "$SRC/machine.json" "$WORK/scratch" "$WORK/ours-$i.tar.zst")
  ag_wall+=("$(wall "$t")") ag_cpu+=("$(cpu "$t")") ag_in+=("$(field package_seconds)")
  ours_bytes=$(field bytes) data=$(field data) virtual=$(field virtual)
  (( i < RUNS )) && rm -f "$WORK/ours-$i.tar.zst"

  sync
  t=$(timed "${JAVA_C1[@]}" package "$OVERLAY" qcow2 "$SRC/machine.json" "$WORK/scratch" "$WORK/c1-$i.tar.zst")
  c1_wall+=("$(wall "$t")") c1_cpu+=("$(cpu "$t")") c1_in+=("$(field package_seconds)")
  rm -f "$WORK/c1-$i.tar.zst"
  printf 'run %d: baseline %.3f s (%.3f s with fsync); ours %.3f s wall, %.3f s in JVM; ours with C1 only %.3f s wall, %.3f s in JVM\n' \
    "$i" "${base_t[-1]}" "${base_sync_t[-1]}" "${ag_wall[-1]}" "${ag_in[-1]}" "${c1_wall[-1]}" "${c1_in[-1]}"
done

med() { printf '%s\n' "$@" | median; }
b=$(med "${base_t[@]}") bs=$(med "${base_sync_t[@]}")
a=$(med "${ag_wall[@]}") ai=$(med "${ag_in[@]}")
c=$(med "${c1_wall[@]}") ci=$(med "${c1_in[@]}")
echo "disk: virtual $virtual bytes, data $data bytes (qemu-img map of the flattened disk)"
report() { # label seconds [cpu_seconds]
  printf '%-45s median %6.3f s  %5.0f MB/s virtual  %4.0f MB/s data' "$1" "$2" \
    "$(mbs "$virtual" "$2")" "$(mbs "$data" "$2")"
  if [[ -n ${3:-} ]]; then printf '  (CPU %.2f s)' "$3"; fi
  echo
}
report 'baseline (convert + tar -S | zstd -3):' "$b" "$(med "${base_cpu[@]}")"
report 'baseline + fsync of the output:' "$bs"
report 'ours, in JVM (ImagePackager.write only):' "$ai"
report 'ours, java process wall (JVM start incl.):' "$a" "$(med "${ag_cpu[@]}")"
report 'ours with C1 only, in JVM:' "$ci"
report 'ours with C1 only, java process wall:' "$c" "$(med "${c1_cpu[@]}")"
echo "output: baseline $base_bytes bytes, ours $ours_bytes bytes"
echo "(CPU: user + sys of the process and its children, median; the machine's other load shows in wall times)"
ratio() { echo "$1 / $2" | bc -l; }
printf 'throughput ratio baseline/ours: %.2f in JVM, %.2f java process wall  [goal >= 0.9]\n' \
  "$(ratio "$b" "$ai")" "$(ratio "$b" "$a")"
printf 'throughput ratio (baseline + fsync)/ours: %.2f in JVM, %.2f java process wall\n' \
  "$(ratio "$bs" "$ai")" "$(ratio "$bs" "$a")"
printf 'throughput ratio baseline/ours with C1 only: %.2f in JVM, %.2f java process wall\n' \
  "$(ratio "$b" "$ci")" "$(ratio "$b" "$c")"

# Both archives hold the same disk (holes expanded by tar -O, compared as streams).
if cmp -s <(zstd -dcq "$WORK/base-$RUNS.tar.zst" | tar -xSOf - disk.img) \
  <(zstd -dcq "$WORK/ours-$RUNS.tar.zst" | tar -xSOf - disk.img); then
  echo "disk.img in both archives: identical"
else
  echo "disk.img in both archives: DIFFERENT" >&2
  exit 1
fi
