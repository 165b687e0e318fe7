package dev.vmtask.agent.vm;

import java.io.IOException;

/**
 * QEMU exited before the guest ran, saying KVM failed: e.g. {@code -cpu host} on nested KVM, where
 * QEMU aborts on "failed to set MSR 0x10a" before its QMP socket is up.
 */
public final class KvmStartFailedException extends IOException {
  private final String qemuSays;

  KvmStartFailedException(String message, String qemuSays, Throwable cause) {
    super(message, cause);
    this.qemuSays = qemuSays;
  }

  /** QEMU's lines about KVM. */
  public String qemuSays() {
    return qemuSays;
  }
}
