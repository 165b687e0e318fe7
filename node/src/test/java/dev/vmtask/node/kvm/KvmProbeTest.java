package dev.vmtask.node.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe's verdicts with shell scripts standing in for QEMU. */
class KvmProbeTest {
  @TempDir Path tmp;

  @Test
  void theMarkerFromUserSpaceMeansUsable() throws Exception {
    KvmVerdict v =
        probe("echo 'SeaBIOS (version 1.16)'; echo 'VMTASK-PROBE-OK 6.1.0-57-amd64'; sleep 30")
            .run(KvmProbe.Accelerator.KVM, "key-1");
    assertThat(v.usable()).isTrue();
    assertThat(v.reason())
        .startsWith("a Linux guest reached user space under KVM in")
        .endsWith("(VMTASK-PROBE-OK 6.1.0-57-amd64)");
    assertThat(v.key()).isEqualTo("key-1");
    assertThat(v.probeTime()).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void qemusKvmErrorLinesMakeItUnusableAtOnceWithQemusWords() throws Exception {
    Path pidFile = tmp.resolve("pid");
    KvmVerdict v =
        probe(
                "echo $$ > "
                    + pidFile
                    + "; echo 'KVM internal error. Suberror: 1' >&2;"
                    + " echo 'emulation failure' >&2; echo 'EAX=00000000 EBX=00000000' >&2;"
                    + " sleep 60")
            .run(KvmProbe.Accelerator.KVM, "k");
    assertThat(v.usable()).isFalse();
    assertThat(v.reason()).isEqualTo("KVM internal error. Suberror: 1; emulation failure");
    assertThat(v.probeTime()).as("not the timeout").isLessThan(Duration.ofSeconds(10));
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
        .as("the stand-in QEMU is killed")
        .isFalse();
  }

  @Test
  void anAbortBeforeTheMarkerIsUnusableWithQemusLastLines() throws Exception {
    KvmVerdict v =
        probe("echo 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69' >&2; exit 134")
            .run(KvmProbe.Accelerator.KVM, "k");
    assertThat(v.usable()).isFalse();
    assertThat(v.reason()).isEqualTo("failed to set MSR 0x10a to 0x69");

    KvmVerdict quiet =
        probe("echo 'something else' >&2; exit 3").run(KvmProbe.Accelerator.KVM, "k");
    assertThat(quiet.reason())
        .isEqualTo("QEMU exited with code 3 before the guest reached user space: something else");
  }

  @Test
  void aSilentHangIsUnusableAfterTheTimeout() throws Exception {
    KvmProbe probe =
        new KvmProbe(qemu("sleep 60"), kernel(), initrd(), device(), Duration.ofSeconds(2));
    KvmVerdict v = probe.run(KvmProbe.Accelerator.KVM, "k");
    assertThat(v.usable()).isFalse();
    assertThat(v.reason()).startsWith("the guest did not reach user space within 2 s");
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
