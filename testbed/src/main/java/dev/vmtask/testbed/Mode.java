package dev.vmtask.testbed;

/** How much of a Kubernetes cluster a test needs. */
public enum Mode {
  /** etcd, kube-apiserver, kube-controller-manager and kube-scheduler: enough for API objects. */
  CONTROL_PLANE,
  /** The control plane plus a node (containerd, kubelet, kube-proxy) that runs pods. */
  FULL
}
