#!/usr/bin/env bash
# Operator creation benchmark: N tasks on a private kube-apiserver (the testbed's Kubernetes build),
# tasks/s until all N pods exist against a baseline of N pods created directly, and the operator's
# RSS (a separate JVM from the shaded jar, with the chart's JVM flags).
#
#   operator/bench/run.sh [tasks]        (default 1000)
#
# Environment: THREADS (VMTASK_RECONCILIATION_THREADS, default 20), JVM_FLAGS (operator JVM flags,
# default: the flags of the operator image's ENTRYPOINT), VMTASK_TESTBED_BIN.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
tasks=${1:-1000}
nice mvn -B -q -f ../pom.xml -pl operator -am install -DskipTests
# The benchmark runs in its own JVM (exec:exec), so it exits with its own status.
props=(-Dbench.tasks="$tasks" -Dbench.jar=target/vmtask-operator.jar -Dthreads="${THREADS:-20}")
# JVM_FLAGS reaches the benchmark through the environment (it holds spaces).
export JVM_FLAGS
mvn -B -q exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
  -Dexec.args="${props[*]} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -classpath %classpath dev.vmtask.operator.bench.CreationBenchmark"
