package dev.vmtask.node.kvm;

import java.time.Duration;
import java.time.Instant;

/**
 * Whether KVM runs a real guest on this node, and why: {@code reason} is one line, the probe's or
 * QEMU's own words. {@code key} names the node boot, kernel, QEMU and probe guest it holds for.
 */
public record KvmVerdict(
    boolean usable, String reason, String key, Instant takenAt, Duration probeTime) {

  /**
   * The same verdict with its usability replaced, as a test setting asks; the reason keeps both.
   */
  public KvmVerdict overriddenTo(boolean overridden) {
    return new KvmVerdict(
        overridden,
        "overridden to "
            + (overridden ? "usable" : "unusable")
            + " by kvm.verdictOverride (a test setting); the probe said: "
            + (usable ? "usable, " : "unusable, ")
            + reason,
        key,
        takenAt,
        probeTime);
  }
}
