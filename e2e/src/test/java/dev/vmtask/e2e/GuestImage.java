package dev.vmtask.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A test guest and its sha256: the busybox guest as a tar.zst (guest/build-test-image.sh) or the
 * Debian cloud guest as a qcow2 (guest/build-debian-guest.sh). {@code disk} is the raw disk of the
 * busybox guest and {@code cdrom} the same system as a bootable ISO, both null for Debian.
 */
record GuestImage(Path archive, Path disk, String sha256, Path cdrom) {
  private static final long BUILD_TIMEOUT_MINUTES = 30;

  /** Builds the busybox guest if it is not cached yet (the script is idempotent). */
  static GuestImage build() {
    String out = run("build-test-image.sh", Map.of());
    Path archive = Path.of(value(out, "IMAGE_TAR_ZST"));
    return new GuestImage(
        archive,
        Path.of(value(out, "DISK_IMG")),
        Digests.sha256(archive),
        Path.of(value(out, "CDROM_ISO")));
  }

  /** Builds the Debian bookworm cloud guest (nothing of vmtask inside) if it is not cached yet. */
  static GuestImage debian() {
    Path qcow2 = Path.of(value(run("build-debian-guest.sh", Map.of()), "DEBIAN_QCOW2"));
    return new GuestImage(qcow2, null, Digests.sha256(qcow2), null);
  }

  private static String run(String name, Map<String, String> env) {
    Path script = RepoRoot.get().resolve("guest").resolve(name);
    try {
      ProcessBuilder pb =
          new ProcessBuilder("bash", script.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT);
      pb.environment().putAll(env);
      Process process = pb.start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException(script + " failed; its output:\n" + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building a guest image", e);
    }
  }

  private static String value(String output, String key) {
    return output
        .lines()
        .filter(line -> line.startsWith(key + "="))
        .map(line -> line.substring(key.length() + 1))
        .filter(path -> Files.isRegularFile(Path.of(path)))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "the guest build printed no existing " + key + ":\n" + output));
  }
}
