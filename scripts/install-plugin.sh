#!/usr/bin/env bash
# Installs the kubectl plugin (kubectl vmtask ...) as ${PREFIX:-/usr/local}/bin/kubectl-vmtask,
# building it first if cli/target/kubectl-vmtask is missing. Needs java (17 or later) to run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
plugin="$root/cli/target/kubectl-vmtask"
if [[ ! -f "$plugin" ]]; then
  (cd "$root" && mvn -B -ntp -q -pl cli -am package -DskipTests)
fi
dest="${PREFIX:-/usr/local}/bin"
mkdir -p "$dest"
install -m 0755 "$plugin" "$dest/kubectl-vmtask"
echo "$dest/kubectl-vmtask"
