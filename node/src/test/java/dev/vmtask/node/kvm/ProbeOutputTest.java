package dev.vmtask.node.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The probe's reading of QEMU's output, with lines QEMU 7.2 printed on KVM hosts. */
class ProbeOutputTest {
  @Test
  void qemusKvmFailureLinesAreRecognised() {
    assertThat(
            List.of(
                "KVM internal error. Suberror: 1",
                "emulation failure",
                "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69",
                "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs:"
                    + " Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
                "error: kvm run failed Bad address",
                "KVM: entry failed, hardware error 0x80000021",
                "qemu-system-x86_64: failed to initialize kvm: Permission denied",
                "Could not access KVM kernel module: No such file or directory"))
        .allMatch(ProbeOutput::isKvmFailure);
  }

  @Test
  void otherLinesAreNotFailures() {
    assertThat(
            List.of(
                "qemu-system-x86_64: warning: host doesn't support requested feature:"
                    + " CPUID.01H:ECX.pni [bit 0]",
                "SeaBIOS (version 1.16.2-debian-1.16.2-1)",
                "[    0.000000] Linux version 6.1.0-57-amd64",
                "VMTASK-PROBE-OK 6.1.0-57-amd64",
                ""))
        .noneMatch(ProbeOutput::isKvmFailure);
  }

  @Test
  void theMarkerCountsAnywhereInALine() {
    assertThat(ProbeOutput.isMarker("VMTASK-PROBE-OK 6.1.0-57-amd64")).isTrue();
    assertThat(ProbeOutput.isMarker("[    1.2] randoVMTASK-PROBE-OK 6.1.0-57-amd64")).isTrue();
    assertThat(ProbeOutput.isMarker("VMTASK-PROBE")).isFalse();
    assertThat(ProbeOutput.isMarker("KVM internal error. Suberror: 1")).isFalse();
  }

  @Test
  void theReasonIsQemusWordsOnOneShortLine() {
    assertThat(
            ProbeOutput.failureReason(
                List.of(
                    "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69",
                    "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs:"
                        + " Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.")))
        .isEqualTo("failed to set MSR 0x10a to 0x69; QEMU aborted");
    assertThat(
            ProbeOutput.failureReason(
                List.of(
                    "KVM internal error. Suberror: 1", "emulation failure ", "emulation failure")))
        .isEqualTo("KVM internal error. Suberror: 1; emulation failure");
  }
}
