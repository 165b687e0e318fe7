package dev.vmtask.agent.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Recognizes a failed or stuck KVM from what QEMU says: its stderr lines and its QMP run state.
 * Hosts with broken nested virtualization pass the acceleration probe and then stop a real guest
 * inside its firmware or boot loader; QEMU prints why and pauses the VM (run state {@code
 * internal-error}) or aborts, and the guest never calls back. Fed from QEMU's reader threads.
 */
public final class KvmFailureDetector {
  /**
   * Lower-case fragments of QEMU's own KVM error lines (QEMU 7.2 wording, also in later releases):
   * accel/kvm/kvm-all.c for the first three, target/i386/kvm/kvm.c for the rest.
   */
  private static final List<String> STDERR_SIGNS =
      List.of(
          "kvm internal error", // KVM_EXIT_INTERNAL_ERROR: "KVM internal error. Suberror: 1"
          "emulation failure", // its suberror 1: KVM could not emulate an instruction
          "kvm run failed", // the KVM_RUN ioctl itself failed
          "kvm: entry failed", // KVM_EXIT_FAIL_ENTRY: the CPU refused the guest state
          "kvm: unknown exit reason",
          "failed to set msr", // kvm_buf_set_msrs: QEMU aborts right after (-cpu host, nested)
          "kvm_buf_set_msrs");

  /** The QMP {@code query-status} value of a VM that KVM stopped. */
  static final String INTERNAL_ERROR = "internal-error";

  private final CompletableFuture<Void> failed = new CompletableFuture<>();
  private final List<String> evidence = new ArrayList<>();

  /** True when a line QEMU wrote to stderr says KVM failed. */
  public static boolean isKvmFailureLine(String line) {
    String l = line.toLowerCase(Locale.ROOT);
    return STDERR_SIGNS.stream().anyMatch(l::contains);
  }

  /**
   * True when a QMP run state means KVM stopped the VM. Only {@code internal-error}: {@code
   * guest-panicked} is the guest's own ending (and needs a pvpanic device the VM does not have),
   * {@code io-error} is the disk's.
   */
  public static boolean isKvmFailureStatus(String status) {
    return INTERNAL_ERROR.equals(status);
  }

  /** One line of QEMU's stderr. */
  public void stderrLine(String line) {
    if (isKvmFailureLine(line)) {
      record(line.strip());
    }
  }

  /** A QMP run state, e.g. from {@code query-status} after a {@code STOP} event. */
  public void status(String status) {
    if (isKvmFailureStatus(status)) {
      record("QMP status " + status);
    }
  }

  /** Completes when the first sign of a KVM failure arrives. */
  public CompletableFuture<Void> failed() {
    return failed;
  }

  /** QEMU's words for the failure so far, e.g. {@code KVM internal error. Suberror: 1; ...}. */
  public synchronized String cause() {
    return String.join("; ", evidence);
  }

  private void record(String sign) {
    synchronized (this) {
      if (!evidence.contains(sign) && evidence.size() < 8) {
        evidence.add(sign);
      }
    }
    failed.complete(null);
  }
}
