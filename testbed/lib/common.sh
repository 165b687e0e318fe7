# Shared settings for the testbed scripts (sourced, not run).
K8S_VERSION=${K8S_VERSION:-1.35.4}
VMTASK_CACHE=${VMTASK_CACHE:-$HOME/.cache/vmtask}
BIN=${VMTASK_TESTBED_BIN:-$VMTASK_CACHE/testbed/$K8S_VERSION}
STATE=${VMTASK_TESTBED_STATE:-/var/lib/vmtask-testbed}
COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl"

die() { # component, message
  echo "testbed: $1: ${*:2}" >&2
  exit 1
}
