package dev.vmtask.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KvmFailureDetectorTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        // QEMU 7.2 on this project's build machine, -cpu qemu64, the test guest's boot loader
        "KVM internal error. Suberror: 1",
        "emulation failure",
        "error: kvm run failed Bad address",
        "qemu-system-x86_64: kvm run failed Invalid argument",
        "KVM: entry failed, hardware error 0x80000021",
        "KVM: unknown exit reason 17",
        // -cpu host on the same machine: QEMU aborts
        "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69",
        "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion"
            + " `ret == cpu->kvm_msr_buf->nmsrs' failed."
      })
  void recognizesQemusKvmErrorLines(String line) {
    assertThat(KvmFailureDetector.isKvmFailureLine(line)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "qemu-system-x86_64: warning: host doesn't support requested feature:"
            + " CPUID.01H:ECX.pni [bit 0]",
        "qemu-system-x86_64: terminating on signal 15 from pid 19563 (timeout)",
        "extra data[0]: 0x0000000000000001",
        "EAX=0010041d EBX=89000138 ECX=00000002 EDX=001003b3",
        "qemu-system-x86_64: -accel kvm: Could not access KVM kernel module: No such file",
        ""
      })
  void ignoresOtherLines(String line) {
    assertThat(KvmFailureDetector.isKvmFailureLine(line)).isFalse();
  }

  @Test
  void onlyTheInternalErrorRunStateIsKvms() {
    assertThat(KvmFailureDetector.isKvmFailureStatus("internal-error")).isTrue();
    for (String other :
        new String[] {"running", "paused", "shutdown", "io-error", "guest-panicked", "prelaunch"}) {
      assertThat(KvmFailureDetector.isKvmFailureStatus(other)).as(other).isFalse();
    }
  }

  @Test
  void completesOnTheFirstSignAndQuotesQemusLines() {
    KvmFailureDetector d = new KvmFailureDetector();
    d.stderrLine("qemu-system-x86_64: warning: host doesn't support requested feature");
    d.status("running");
    assertThat(d.failed()).isNotDone();

    d.stderrLine("KVM internal error. Suberror: 1");
    assertThat(d.failed()).isDone();
    d.stderrLine("extra data[0]: 0x0000000000000001");
    d.stderrLine("emulation failure");
    d.status("internal-error");
    d.status("internal-error");

    assertThat(d.cause())
        .isEqualTo("KVM internal error. Suberror: 1; emulation failure; QMP status internal-error");
  }

  @Test
  void theRunStateAloneIsEnough() {
    KvmFailureDetector d = new KvmFailureDetector();
    d.status("internal-error");
    assertThat(d.failed()).isDone();
    assertThat(d.cause()).isEqualTo("QMP status internal-error");
  }
}
