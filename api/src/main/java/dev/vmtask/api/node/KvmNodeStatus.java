package dev.vmtask.api.node;

/**
 * How the node daemon publishes a node's KVM verdict and how the operator reads it: the device
 * resource it advertises and the label and annotations it sets on its own Node.
 */
public final class KvmNodeStatus {
  /** The extended resource of the kubelet device plugin: one shareable slot of /dev/kvm. */
  public static final String DEVICE_RESOURCE = "devices.vmtask.dev/kvm";

  /** Label with the verdict: {@link #USABLE}, {@link #UNUSABLE} or {@link #PROBING}. */
  public static final String VERDICT_LABEL = "vmtask.dev/kvm";

  /** Annotation with the verdict's reason, one line in QEMU's or the probe's words. */
  public static final String REASON_ANNOTATION = "vmtask.dev/kvm-reason";

  /** Annotation with when the verdict was taken (RFC 3339). */
  public static final String TIME_ANNOTATION = "vmtask.dev/kvm-verdict-time";

  public static final String USABLE = "usable";
  public static final String UNUSABLE = "unusable";
  public static final String PROBING = "probing";

  private KvmNodeStatus() {}
}
