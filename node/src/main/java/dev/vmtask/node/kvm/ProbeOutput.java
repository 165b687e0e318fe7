package dev.vmtask.node.kvm;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

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
          "kvm_buf_set_msrs", // that abort: "kvm.c:3183: kvm_buf_set_msrs: Assertion ... failed."
          // Beyond the agent's list: QEMU's words when the device does not open at start-up.
          "failed to initialize kvm", // no usable KVM at all (module, permissions, nesting)
          "could not access kvm kernel module");

  /** QEMU's assert(3) message: "file.c:123: function: Assertion `expr' failed." */
  private static final Pattern ASSERTION = Pattern.compile(":\\d+: \\w+: Assertion .* failed");

  private ProbeOutput() {}

  /**
   * Anywhere in the line: the guest's console and kernel share the serial port, so the marker may
   * follow a partial kernel message.
   */
  static boolean isMarker(String line) {
    return line.contains(MARKER);
  }

  static boolean isKvmFailure(String line) {
    String l = line.toLowerCase(Locale.ROOT);
    return KVM_FAILURE_SIGNS.stream().anyMatch(l::contains);
  }

  /**
   * One line from QEMU's failure lines: each once, without its program prefix, and QEMU's assertion
   * (a source path and a C expression) as the abort it is.
   */
  static String failureReason(List<String> lines) {
    return lines.stream()
        .map(l -> ASSERTION.matcher(l).find() ? "QEMU aborted" : clean(l))
        .distinct()
        .collect(Collectors.joining("; "));
  }

  /** A QEMU stderr line without its program prefix, for a reason. */
  static String clean(String line) {
    return line.replaceFirst("^qemu-system-x86_64: (error: )?", "").strip();
  }
}
