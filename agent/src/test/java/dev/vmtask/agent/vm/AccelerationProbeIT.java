package dev.vmtask.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe VM is real: it must print its marker under TCG, which proves the boot sector. */
class AccelerationProbeIT {
  @TempDir Path tmp;
  private final List<String> said = new ArrayList<>();

  private AccelerationProbe probe(Path kvmDevice) {
    return new AccelerationProbe("qemu-system-x86_64", kvmDevice, tmp, tmp, said::add);
  }

  @Test
  void theProbeSectorBootsAndPrintsItsMarkerUnderTcg() throws Exception {
    assertThat(probe(Path.of("/dev/kvm")).bootsUnder(Acceleration.TCG, "max")).isTrue();
  }

  @Test
  void autoWithoutAKvmDeviceIsTcgAndKvmWithoutOneIsAnError() throws Exception {
    Path missing = tmp.resolve("no-kvm");

    assertThat(probe(missing).resolve(Acceleration.AUTO, "host")).isEqualTo(Acceleration.TCG);
    assertThat(said).anyMatch(s -> s.contains("using tcg"));
    assertThatThrownBy(() -> probe(missing).resolve(Acceleration.KVM, "host"))
        .hasMessageContaining("kvm acceleration requested but " + missing + " is not usable");
  }

  @Test
  void autoRecordsItsVerdictPerNode() throws Exception {
    Acceleration first = probe(Path.of("/dev/kvm")).resolve(Acceleration.AUTO, "host");

    assertThat(first).isIn(Acceleration.KVM, Acceleration.TCG);
    if (Files.isWritable(Path.of("/dev/kvm"))) {
      List<String> verdict = Files.readAllLines(tmp.resolve("kvm-probe.txt"));
      assertThat(verdict.get(0)).contains("kernel=").contains("qemu=").contains("cpu=host");
      assertThat(verdict.get(1)).isEqualTo(String.valueOf(first == Acceleration.KVM));
      // a second resolution reads the verdict instead of booting again
      assertThat(probe(Path.of("/dev/kvm")).resolve(Acceleration.AUTO, "host")).isEqualTo(first);
    }
  }
}
