package dev.vmtask.node.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe's verdicts with shell scripts standing in for QEMU. */
class KvmProbeTest {
  @TempDir Path tmp;

  @Test
  void theMarkerFromUserSpaceMeansUsable() throws Exception {
    long start = System.nanoTime();
    KvmVerdict v =
        probe(
                recordPids()
                    + "echo 'SeaBIOS (version 1.16)'; echo 'VMTASK-PROBE-OK 6.1.0-57-amd64';"
                    + " wait")
            .run(KvmProbe.Accelerator.KVM, "key-1");
    assertThat(v.usable()).isTrue();
    assertThat(v.reason())
        .startsWith("a Linux guest reached user space under KVM in")
        .endsWith("(VMTASK-PROBE-OK 6.1.0-57-amd64)");
    assertThat(v.key()).isEqualTo("key-1");
    assertThat(v.probeTime()).isLessThan(Duration.ofSeconds(20));
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("the reader does not wait for a child that holds the output open")
        .isLessThan(Duration.ofSeconds(4));
    assertAllKilled();
  }

  @Test
  void qemusKvmErrorLinesMakeItUnusableAtOnceWithQemusWords() throws Exception {
    KvmVerdict v =
        probe(
                recordPids()
                    + "echo 'KVM internal error. Suberror: 1' >&2;"
                    + " echo 'emulation failure' >&2; echo 'EAX=00000000 EBX=00000000' >&2;"
                    + " wait")
            .run(KvmProbe.Accelerator.KVM, "k");
    assertThat(v.usable()).isFalse();
    assertThat(v.reason()).isEqualTo("KVM internal error. Suberror: 1; emulation failure");
    assertThat(v.probeTime()).as("not the timeout").isLessThan(Duration.ofSeconds(10));
    assertAllKilled();
  }

  @Test
  void anAbortBeforeTheMarkerIsUnusableWithQemusLastLines() throws Exception {
    KvmVerdict v =
        probe(
                "echo 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69' >&2;"
                    + " echo 'qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183:"
                    + " kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs'\\'' failed.' >&2;"
                    + " exit 134")
            .run(KvmProbe.Accelerator.KVM, "k");
    assertThat(v.usable()).isFalse();
    assertThat(v.reason()).isEqualTo("failed to set MSR 0x10a to 0x69; QEMU aborted");

    KvmVerdict quiet =
        probe("echo 'something else' >&2; exit 3").run(KvmProbe.Accelerator.KVM, "k");
    assertThat(quiet.reason())
        .isEqualTo("QEMU exited with code 3 before the guest reached user space: something else");
  }

  @Test
  void aSilentHangIsUnusableAfterTheTimeout() throws Exception {
    KvmProbe probe =
        new KvmProbe(
            qemu(recordPids() + "wait"), kernel(), initrd(), device(), Duration.ofSeconds(2));
    KvmVerdict v = probe.run(KvmProbe.Accelerator.KVM, "k");
    assertThat(v.usable()).isFalse();
    assertThat(v.reason())
        .isEqualTo(
            "the guest did not reach user space within 2 s (QEMU printed no KVM error: a hung KVM"
                + " guest)");
    assertThat(v.probeTime()).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(5));
    assertAllKilled();

    KvmVerdict tcg = probe.run(KvmProbe.Accelerator.TCG, "k");
    assertThat(tcg.reason()).contains("within 2 s under TCG").doesNotContain("KVM");
  }

  @Test
  void aDeviceThatDoesNotOpenIsUnusableWithoutStartingQemu() throws Exception {
    Path ran = tmp.resolve("ran");
    Path notADevice = Files.createDirectory(tmp.resolve("kvm-dir"));
    KvmProbe probe =
        new KvmProbe(qemu("touch " + ran), kernel(), initrd(), notADevice, Duration.ofSeconds(5));
    KvmVerdict v = probe.run(KvmProbe.Accelerator.KVM, "k");
    assertThat(v.usable()).isFalse();
    assertThat(v.reason()).startsWith(notADevice + " exists but does not open read-write");
    assertThat(ran).doesNotExist();
  }

  @Test
  void aMissingDeviceIsUnusableWithoutStartingQemu() throws Exception {
    Path ran = tmp.resolve("ran");
    KvmProbe probe =
        new KvmProbe(
            qemu("touch " + ran), kernel(), initrd(), tmp.resolve("no-kvm"), Duration.ofSeconds(5));
    KvmVerdict v = probe.run(KvmProbe.Accelerator.KVM, "k");
    assertThat(v.usable()).isFalse();
    assertThat(v.reason()).contains("is missing: the kvm_intel or kvm_amd module is not loaded");
    assertThat(ran).doesNotExist();
  }

  @Test
  void underKvmTheProbeUsesTheCpuOfTaskVms() throws Exception {
    var kvm = probe("true").command(KvmProbe.Accelerator.KVM);
    assertThat(String.join(" ", kvm)).contains("-accel kvm -cpu host").contains("-nic none");
    var tcg = probe("true").command(KvmProbe.Accelerator.TCG);
    assertThat(String.join(" ", tcg)).contains("-accel tcg -cpu max");
  }

  private KvmProbe probe(String script) throws Exception {
    return new KvmProbe(qemu(script), kernel(), initrd(), device(), Duration.ofSeconds(20));
  }

  /**
   * Shell that starts a child of the stand-in QEMU, as a process QEMU started would be, and writes
   * both pids for {@link #assertAllKilled}.
   */
  private String recordPids() {
    return "echo $$ >> " + pids() + "; sleep 60 & echo $! >> " + pids() + "; ";
  }

  private Path pids() {
    return tmp.resolve("pids");
  }

  /** The stand-in QEMU and every child it started are killed once the verdict is in. */
  private void assertAllKilled() throws Exception {
    List<Long> pids = Files.readAllLines(pids()).stream().map(Long::parseLong).toList();
    assertThat(pids).hasSizeGreaterThanOrEqualTo(2);
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .untilAsserted(
            () ->
                assertThat(pids)
                    .as("processes of the stand-in QEMU still running")
                    .noneMatch(KvmProbeTest::isRunning));
  }

  /**
   * Alive and not a zombie: an orphan killed with its parent waits for init to reap it, which takes
   * a while where init is not a shell.
   */
  private static boolean isRunning(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  private String qemu(String script) throws Exception {
    Path f = tmp.resolve("qemu-" + System.nanoTime());
    Files.writeString(f, "#!/bin/sh\n" + script + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
    return f.toString();
  }

  private Path kernel() throws Exception {
    return file("vmlinuz");
  }

  private Path initrd() throws Exception {
    return file("initrd.img");
  }

  private Path device() throws Exception {
    return file("kvm"); // opens read-write, as /dev/kvm does for root
  }

  private Path file(String name) throws Exception {
    Path f = tmp.resolve(name);
    if (!Files.exists(f)) {
      Files.writeString(f, name);
    }
    return f;
  }
}
