package dev.vmtask.node.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The probe with real QEMU and the real probe guest (node/probe/build-probe-guest.sh). Under TCG
 * the guest must reach user space: that proves the probe itself, so that a KVM failure is KVM's.
 * Under KVM the verdict is whatever this machine's KVM does, but it must hold together.
 */
class KvmProbeIT {
  private static Path kernel;
  private static Path initrd;

  @BeforeAll
  static void buildProbeGuest() throws Exception {
    Process p =
        new ProcessBuilder(
                "bash", Path.of("probe/build-probe-guest.sh").toAbsolutePath().toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("build-probe-guest.sh: %s", out).isZero();
    Map<String, String> files =
        out.lines()
            .filter(l -> l.contains("="))
            .collect(
                Collectors.toMap(
                    l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1)));
    kernel = Path.of(files.get("PROBE_KERNEL"));
    initrd = Path.of(files.get("PROBE_INITRD"));
  }

  @Test
  void underTcgTheProbeGuestReachesUserSpace() throws Exception {
    KvmVerdict v = probe().run(KvmProbe.Accelerator.TCG, "tcg");
    System.err.printf("probe under TCG: %s (%d ms)%n", v.reason(), v.probeTime().toMillis());
    assertThat(v.usable()).as(v.reason()).isTrue();
    assertThat(v.reason()).contains("under TCG").contains("VMTASK-PROBE-OK ");
    // The marker names the kernel that reached user space: one of this machine's.
    String release = v.reason().replaceFirst(".*VMTASK-PROBE-OK (\\S+)\\).*", "$1");
    assertThat(Path.of("/lib/modules", release)).isDirectory();
  }

  @Test
  void underKvmTheVerdictHoldsTogether() throws Exception {
    KvmVerdict v = probe().run(KvmProbe.Accelerator.KVM, "kvm");
    System.err.printf(
        "probe under KVM: %s, %s (%d ms)%n",
        v.usable() ? "usable" : "unusable", v.reason(), v.probeTime().toMillis());
    if (v.usable()) {
      assertThat(v.reason()).contains("under KVM").contains("VMTASK-PROBE-OK");
    } else {
      assertThat(v.reason()).isNotBlank().doesNotContain("VMTASK-PROBE-OK");
      // QEMU's KVM error, its exit, the timeout or the device: never an unexplained no
      assertThat(
              ProbeOutput.isKvmFailure(v.reason())
                  || v.reason().startsWith("QEMU exited with code ")
                  || v.reason().startsWith("the guest did not reach user space within ")
                  || v.reason().startsWith("/dev/kvm "))
          .as(v.reason())
          .isTrue();
    }
  }

  private static KvmProbe probe() {
    return new KvmProbe(
        "qemu-system-x86_64", kernel, initrd, Path.of("/dev/kvm"), Duration.ofSeconds(120));
  }
}
