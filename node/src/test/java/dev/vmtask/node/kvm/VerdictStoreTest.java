package dev.vmtask.node.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerdictStoreTest {
  @TempDir Path tmp;

  @Test
  void aVerdictIsReusedOnlyUnderItsKey() throws Exception {
    VerdictStore store = new VerdictStore(tmp);
    KvmVerdict v =
        new KvmVerdict(
            false,
            "failed to set MSR 0x10a to 0x69",
            "boot=a kernel=b",
            Instant.parse("2026-12-01T10:00:00Z"),
            Duration.ofMillis(34));
    store.save(v);

    assertThat(store.load("boot=a kernel=b")).contains(v);
    assertThat(store.load("boot=NEW kernel=b")).as("a new boot probes again").isEmpty();
    try (var files = Files.list(tmp)) {
      assertThat(files)
          .extracting(p -> p.getFileName().toString())
          .containsExactly("kvm-verdict.json");
    }
  }

  @Test
  void aNewVerdictReplacesTheOldWholeAndLeavesNoTemporaryFile() throws Exception {
    VerdictStore store = new VerdictStore(tmp.resolve("state"));
    Instant at = Instant.parse("2026-12-01T10:00:00Z");
    store.save(new KvmVerdict(false, "emulation failure", "old", at, Duration.ofMillis(50)));
    KvmVerdict now =
        new KvmVerdict(
            true, "a Linux guest reached user space under KVM in 1.2 s", "new", at, Duration.ZERO);
    store.save(now);

    assertThat(store.load("new")).contains(now);
    assertThat(store.load("old")).isEmpty();
    try (var files = Files.list(tmp.resolve("state"))) {
      assertThat(files)
          .extracting(p -> p.getFileName().toString())
          .containsExactly("kvm-verdict.json");
    }
  }

  @Test
  void aDamagedFileCountsAsNoVerdict() throws Exception {
    Files.writeString(tmp.resolve("kvm-verdict.json"), "{\"usable\": tru");
    assertThat(new VerdictStore(tmp).load("k")).isEmpty();
    Files.writeString(tmp.resolve("kvm-verdict.json"), "{\"usable\": true, \"key\": \"k\"}");
    assertThat(new VerdictStore(tmp).load("k")).as("no reason: not a verdict").isEmpty();
    Files.writeString(tmp.resolve("kvm-verdict.json"), "");
    assertThat(new VerdictStore(tmp).load("k")).as("empty").isEmpty();
  }

  @Test
  void theKeyNamesTheBootTheKernelQemuAndTheProbeGuest() throws Exception {
    Path kernel = Files.writeString(tmp.resolve("vmlinuz"), "k1");
    Path initrd = Files.writeString(tmp.resolve("initrd.img"), "i1");
    String key = VerdictStore.currentKey("echo", kernel, initrd);
    assertThat(key)
        .startsWith("boot=" + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip())
        .contains(" kernel=" + Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip())
        .contains(" qemu=echo (GNU coreutils)"); // the first line of "QEMU --version"
    Files.writeString(initrd, "i2");
    assertThat(VerdictStore.currentKey("echo", kernel, initrd)).isNotEqualTo(key);
  }

  @Test
  void anOverrideKeepsWhatTheProbeSaid() {
    KvmVerdict v = new KvmVerdict(false, "emulation failure", "k", Instant.EPOCH, Duration.ZERO);
    KvmVerdict o = v.overriddenTo(true);
    assertThat(o.usable()).isTrue();
    assertThat(o.reason())
        .isEqualTo(
            "overridden to usable by kvm.verdictOverride (a test setting); the probe said:"
                + " unusable, emulation failure");
  }
}
