package dev.vmtask.agent.vm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Resolves {@code auto} acceleration. {@code /dev/kvm} opening is not proof that KVM works: with
 * broken nested virtualization QEMU reports KVM enabled and the guest hangs. So a probe VM (a boot
 * sector that writes "OK" to the serial port and halts) must print under KVM within a short
 * timeout. The verdict is cached per node in the cache directory.
 */
public final class AccelerationProbe {
  static final String MARKER = "VMTASK-KVM-OK";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final String qemuBinary;
  private final Path kvmDevice;
  private final Path cacheFile;
  private final Path workDir;
  private final Consumer<String> diagnostics;

  /**
   * {@code cacheDir} may be null (no caching); the probe disk is written to {@code workDir} (pods
   * have a read-only root file system, so not /tmp).
   */
  public AccelerationProbe(
      String qemuBinary,
      Path kvmDevice,
      Path cacheDir,
      Path workDir,
      Consumer<String> diagnostics) {
    this.qemuBinary = qemuBinary;
    this.kvmDevice = kvmDevice;
    this.workDir = workDir;
    this.cacheFile = cacheDir == null ? null : cacheDir.resolve("kvm-probe.txt");
    this.diagnostics = diagnostics;
  }

  /**
   * KVM or TCG for a requested mode; {@code kvm} without a usable device is an error. {@code
   * cpuModel} is the {@code -cpu} the VM will get under KVM: the probe must use it too, because
   * some hosts run a default-CPU guest but crash on {@code -cpu host} (measured: "failed to set MSR
   * 0x10a").
   */
  public Acceleration resolve(Acceleration requested, String cpuModel)
      throws IOException, InterruptedException {
    switch (requested) {
      case TCG:
        return Acceleration.TCG;
      case KVM:
        if (!Files.isReadable(kvmDevice) || !Files.isWritable(kvmDevice)) {
          throw new IOException("kvm acceleration requested but " + kvmDevice + " is not usable");
        }
        return Acceleration.KVM;
      default:
        if (!Files.isReadable(kvmDevice) || !Files.isWritable(kvmDevice)) {
          diagnostics.accept("no usable " + kvmDevice + ": using tcg");
          return Acceleration.TCG;
        }
        boolean works = kvmWorks(cpuModel);
        if (!works) {
          diagnostics.accept(kvmDevice + " opens but a KVM guest does not run: using tcg");
        }
        return works ? Acceleration.KVM : Acceleration.TCG;
    }
  }

  /**
   * The acceleration of a pod that the node daemon's device plugin gave /dev/kvm: only nodes whose
   * verdict booted a Linux guest under KVM offer the device, so nothing is probed again. A device
   * that does not open (a runtime that ignores the plugin's device) fails {@code kvm} and leaves
   * {@code auto} on TCG.
   */
  public Acceleration granted(Acceleration requested) throws IOException {
    if (Files.isReadable(kvmDevice) && Files.isWritable(kvmDevice)) {
      diagnostics.accept("KVM from the node's device plugin (its verdict proved KVM): no probe");
      return Acceleration.KVM;
    }
    if (requested == Acceleration.KVM) {
      throw new IOException(
          "the pod was given the KVM device but " + kvmDevice + " does not open read-write");
    }
    diagnostics.accept(
        "the pod was given the KVM device but " + kvmDevice + " does not open: using tcg");
    return Acceleration.TCG;
  }

  private boolean kvmWorks(String cpuModel) throws IOException, InterruptedException {
    String key = cacheKey() + " cpu=" + cpuModel;
    if (cacheFile != null && Files.isRegularFile(cacheFile)) {
      // key, verdict, and for a guest that KVM failed after the probe passed, why
      List<String> lines = Files.readAllLines(cacheFile);
      if (lines.size() >= 2 && lines.get(0).equals(key)) {
        if (lines.size() > 2) {
          diagnostics.accept("KVM is marked failed on this node: " + lines.get(2));
        }
        return Boolean.parseBoolean(lines.get(1));
      }
    }
    boolean works = bootsUnder(Acceleration.KVM, cpuModel);
    writeVerdict(key, works, null);
    return works;
  }

  /**
   * Records that KVM failed under a real guest with {@code cpuModel} although the probe passed, so
   * that the node's next {@code auto} VM uses TCG without trying KVM again. The verdict stays until
   * the kernel or QEMU changes, as a probe's does.
   */
  public void markFailed(String cpuModel, String why) throws IOException {
    // one short line: the cache file is read by people too
    String first = why.lines().findFirst().orElse("").strip();
    String line = first.length() > 300 ? first.substring(0, 300) + "..." : first;
    writeVerdict(cacheKey() + " cpu=" + cpuModel, false, "a guest failed under KVM: " + line);
  }

  private void writeVerdict(String key, boolean works, String why) throws IOException {
    if (cacheFile == null) {
      return;
    }
    Files.createDirectories(cacheFile.getParent());
    Path tmp = Files.createTempFile(cacheFile.getParent(), ".kvm-probe", ".tmp");
    String reason = why == null ? "" : why + "\n";
    Files.writeString(tmp, key + "\n" + works + "\n" + reason);
    Files.move(tmp, cacheFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The verdict holds for one kernel and one QEMU build. */
  private String cacheKey() throws IOException {
    String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
    return "kernel=" + kernel + " qemu=" + qemuVersion();
  }

  private String qemuVersion() throws IOException {
    Process p = new ProcessBuilder(qemuBinary, "--version").redirectErrorStream(true).start();
    try (InputStream in = p.getInputStream()) {
      String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int nl = out.indexOf('\n');
      return (nl < 0 ? out : out.substring(0, nl)).trim();
    }
  }

  /** Boots the probe sector under {@code accel}; true when it printed its marker in time. */
  boolean bootsUnder(Acceleration accel, String cpuModel) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(workDir, "probe");
    Path disk = dir.resolve("probe.img");
    Files.write(disk, bootSector());
    Process p =
        new ProcessBuilder(
                qemuBinary,
                "-no-user-config",
                "-nodefaults",
                "-machine",
                "pc",
                "-accel",
                accel.id(),
                "-cpu",
                cpuModel,
                "-m",
                "16M",
                "-display",
                "none",
                "-serial",
                "stdio",
                "-drive",
                "file=" + QemuCommand.escape(disk) + ",format=raw,if=ide,index=0")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      StringBuilder seen = new StringBuilder();
      Thread reader =
          new Thread(
              () -> {
                try (InputStream in = p.getInputStream()) {
                  for (int c; (c = in.read()) >= 0; ) {
                    synchronized (seen) {
                      seen.append((char) c);
                      seen.notifyAll();
                    }
                  }
                } catch (IOException e) {
                  // process killed
                }
              });
      reader.setDaemon(true);
      reader.start();
      long end = System.nanoTime() + TIMEOUT.toNanos();
      synchronized (seen) {
        while (seen.indexOf(MARKER) < 0 && System.nanoTime() < end && p.isAlive()) {
          seen.wait(Math.max(1, (end - System.nanoTime()) / 1_000_000));
        }
        return seen.indexOf(MARKER) >= 0;
      }
    } finally {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
      Files.deleteIfExists(disk);
      Files.deleteIfExists(dir);
    }
  }

  /**
   * A 512-byte MBR: print {@link #MARKER} to COM1 (port 0x3f8), then halt forever. Real-mode code:
   * {@code xor ax,ax; mov ds,ax; cld; mov si,msg; mov dx,0x3f8; l: lodsb; test al,al; jz h; out
   * dx,al; jmp l; h: cli; hlt; jmp h}.
   */
  static byte[] bootSector() {
    byte[] s = new byte[512];
    byte[] code = {
      0x31,
      (byte) 0xC0, // xor ax, ax
      (byte) 0x8E,
      (byte) 0xD8, // mov ds, ax
      (byte) 0xFC, // cld
      (byte) 0xBE,
      0x00,
      0x00, // mov si, msg (patched below)
      (byte) 0xBA,
      (byte) 0xF8,
      0x03, // mov dx, 0x3f8
      (byte) 0xAC, // l: lodsb
      (byte) 0x84,
      (byte) 0xC0, // test al, al
      0x74,
      0x03, // jz h
      (byte) 0xEE, // out dx, al
      (byte) 0xEB,
      (byte) 0xF8, // jmp l
      (byte) 0xFA, // h: cli
      (byte) 0xF4, // hlt
      (byte) 0xEB,
      (byte) 0xFC // jmp h
    };
    System.arraycopy(code, 0, s, 0, code.length);
    int msg = code.length;
    byte[] text = (MARKER + "\n").getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(text, 0, s, msg, text.length);
    int addr = 0x7C00 + msg; // the BIOS loads the sector at 0000:7c00
    s[6] = (byte) addr;
    s[7] = (byte) (addr >> 8);
    s[510] = 0x55;
    s[511] = (byte) 0xAA;
    return s;
  }
}
