package dev.vmtask.node.kvm;

import java.util.List;
import java.util.Locale;

/**
 * Reads the probe VM's output, serial console and QEMU's stderr merged. The KVM failure lines
 * mirror the agent's KvmFailureDetector (QEMU 7.2 wording, also in later releases); the node module
 * does not depend on the agent, and the probe only needs the lines.
 */
final class ProbeOutput {
  /** What the probe guest's /init prints from user space. */
  static final String MARKER = "VMTASK-PROBE-OK";

  private static final List<String> KVM_FAILURE_SIGNS =
      List.of(
          "kvm internal error", // KVM_EXIT_INTERNAL_ERROR: "KVM internal error. Suberror: 1"
          "emulation failure", // its suberror 1: KVM could not emulate an instruction
          "kvm run failed", // the KVM_RUN ioctl itself failed
          "kvm: entry failed", // KVM_EXIT_FAIL_ENTRY: the CPU refused the guest state
          "kvm: unknown exit reason",
          "failed to set msr", // kvm_buf_set_msrs: QEMU aborts right after (-cpu host, nested)
          "failed to initialize kvm", // no usable KVM at all (module, permissions, nesting)
          "could not access kvm kernel module");

  private ProbeOutput() {}

  static boolean isMarker(String line) {
    return line.startsWith(MARKER) || line.contains(" " + MARKER);
  }

  static boolean isKvmFailure(String line) {
    String l = line.toLowerCase(Locale.ROOT);
    return KVM_FAILURE_SIGNS.stream().anyMatch(l::contains);
  }

  /** A QEMU stderr line without its program prefix, for a reason. */
  static String clean(String line) {
    return line.replaceFirst("^qemu-system-x86_64: (error: )?", "").strip();
  }
}
