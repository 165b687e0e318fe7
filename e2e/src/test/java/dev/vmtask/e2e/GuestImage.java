package dev.vmtask.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The test guest (guest/build-test-image.sh): a tar.zst VM image and its sha256. */
record GuestImage(Path archive, Path disk, String sha256) {
  private static final long BUILD_TIMEOUT_MINUTES = 20;

  /** Builds the image if it is not cached yet (the script is idempotent) and returns it. */
  static GuestImage build() {
    Path script = RepoRoot.get().resolve("guest/build-test-image.sh");
    try {
      Process process =
          new ProcessBuilder("sh", script.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException(script + " failed; its output:\n" + out);
      }
      Path archive = Path.of(value(out, "IMAGE_TAR_ZST"));
      return new GuestImage(archive, Path.of(value(out, "DISK_IMG")), Digests.sha256(archive));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the guest image", e);
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
                    "guest/build-test-image.sh printed no existing " + key + ":\n" + output));
  }
}
