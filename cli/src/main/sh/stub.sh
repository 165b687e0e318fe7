#!/bin/sh
# kubectl-vmtask: this stub, then a runnable jar (java reads a zip from its end). The JVM's class
# data for this build and this java is archived in ~/.cache/vmtask on first use (CDS), which
# saves about 0.4 s per command; the archive is written aside and renamed, so a concurrent first
# use never reads half of one, and a stale or broken archive is ignored by the JVM.
java=$(command -v java) || { echo "kubectl-vmtask: java (17 or later) is not on PATH" >&2; exit 1; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vmtask
archive=$cache/kubectl-vmtask-$(stat -c %s-%Y "$0" 2>/dev/null)-$(stat -L -c %Y "$java" 2>/dev/null).jsa
opts="${VMTASK_CLI_JAVA_OPTS:--XX:TieredStopAtLevel=1 -Xshare:auto} -Xlog:cds=off -Xlog:cds+dynamic=off"
if [ -f "$archive" ]; then
  exec "$java" $opts -XX:SharedArchiveFile="$archive" -jar "$0" "$@"
fi
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
  exec "$java" $opts -jar "$0" "$@"
fi
trap 'rm -f "$archive.$$"; exit 130' INT TERM
"$java" $opts -XX:ArchiveClassesAtExit="$archive.$$" -jar "$0" "$@"
status=$?
mv -f "$archive.$$" "$archive" 2>/dev/null
exit $status
