package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A VM's writable disk: a qcow2 overlay backed by the leased base image (read-only, absolute path,
 * explicit backing format), so creating it costs the same for a 100 MiB and a 100 GiB image; or a
 * blank qcow2 for a task that installs its system.
 */
public final class Overlay {
  private static final long TIMEOUT_SECONDS = 60;

  private Overlay() {}

  /** Creates {@code target}; fails if it exists. */
  public static Path create(ImageLease lease, Path target) throws IOException {
    return create(lease.baseDisk(), lease.baseFormat(), target);
  }

  static Path create(Path base, String baseFormat, Path target) throws IOException {
    return run(
        List.of(
            "qemu-img",
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            baseFormat,
            "-b",
            base.toAbsolutePath().toString(),
            target.toAbsolutePath().toString()),
        target);
  }

  /** A blank qcow2 disk of {@code bytes} (nothing allocated until the guest writes). */
  public static Path blank(Path target, long bytes) throws IOException {
    return run(
        List.of(
            "qemu-img",
            "create",
            "-q",
            "-f",
            "qcow2",
            target.toAbsolutePath().toString(),
            Long.toString(bytes)),
        target);
  }

  private static Path run(List<String> cmd, Path target) throws IOException {
    if (target.toFile().exists()) {
      throw new IOException("overlay " + target + " already exists");
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("qemu-img create did not finish in " + TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while creating the overlay " + target, e);
    }
    String output = new String(p.getInputStream().readAllBytes(), UTF_8).trim();
    if (p.exitValue() != 0) {
      throw new IOException("qemu-img create failed (exit " + p.exitValue() + "): " + output);
    }
    return target;
  }
}
