package dev.vmtask.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cached verdict, without a VM: echo stands in for QEMU's --version. */
class AccelerationProbeTest {
  @TempDir Path tmp;
  private final List<String> said = new ArrayList<>();

  @Test
  void aGuestThatFailedUnderKvmMarksTheNodeForTheNextAutoVm() throws Exception {
    Path kvm = Files.createFile(tmp.resolve("kvm")); // opens read-write, as a broken host's does
    AccelerationProbe probe = new AccelerationProbe("echo", kvm, tmp, tmp, said::add);

    probe.markFailed("host", "KVM internal error. Suberror: 1; emulation failure\nEAX=0");

    List<String> verdict = Files.readAllLines(tmp.resolve("kvm-probe.txt"));
    assertThat(verdict).hasSize(3);
    assertThat(verdict.get(0)).endsWith(" cpu=host");
    assertThat(verdict.get(1)).isEqualTo("false");
    assertThat(verdict.get(2))
        .isEqualTo("a guest failed under KVM: KVM internal error. Suberror: 1; emulation failure");
    // read back without booting the probe (echo cannot boot anything)
    assertThat(probe.resolve(Acceleration.AUTO, "host")).isEqualTo(Acceleration.TCG);
    assertThat(said).anyMatch(s -> s.contains("KVM is marked failed on this node"));
    // kvm stays kvm: it was asked for
    assertThat(probe.resolve(Acceleration.KVM, "host")).isEqualTo(Acceleration.KVM);
  }

  @Test
  void aPodGivenTheDeviceUsesKvmWithoutProbing() throws Exception {
    Path kvm = Files.createFile(tmp.resolve("kvm"));
    // "false" as QEMU: any probe or version query would fail, so none may run
    AccelerationProbe probe = new AccelerationProbe("false", kvm, tmp, tmp, said::add);
    assertThat(probe.granted(Acceleration.AUTO)).isEqualTo(Acceleration.KVM);
    assertThat(probe.granted(Acceleration.KVM)).isEqualTo(Acceleration.KVM);
    assertThat(said).anyMatch(s -> s.contains("no probe"));
    assertThat(tmp.resolve("kvm-probe.txt")).doesNotExist();
  }

  @Test
  void aGrantedDeviceThatDoesNotOpenFailsKvmAndLeavesAutoOnTcg() {
    AccelerationProbe probe =
        new AccelerationProbe("false", tmp.resolve("missing"), tmp, tmp, said::add);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> probe.granted(Acceleration.KVM))
        .hasMessageContaining("does not open read-write");
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () -> assertThat(probe.granted(Acceleration.AUTO)).isEqualTo(Acceleration.TCG)))
        .isNull();
  }
}
