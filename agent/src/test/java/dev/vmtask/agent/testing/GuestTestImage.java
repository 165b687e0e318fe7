package dev.vmtask.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The test guest built by {@code guest/build-test-image.sh} (cached by content hash, so the first
 * call builds it and later calls only read the paths).
 */
public final class GuestTestImage {
  private static Map<String, Path> outputs;

  private GuestTestImage() {}

  public static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("guest"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("no guest/ directory above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  /** The packaged taskcluster image (tar.zst). */
  public static Path archive() {
    return output("IMAGE_TAR_ZST");
  }

  /** A standalone qcow2 of the same disk. */
  public static Path qcow2() {
    return output("TEST_QCOW2");
  }

  private static synchronized Path output(String key) {
    if (outputs == null) {
      outputs = build();
    }
    return outputs.get(key);
  }

  private static Map<String, Path> build() {
    Path script = repoRoot().resolve("guest/build-test-image.sh");
    try {
      Process p =
          new ProcessBuilder("sh", script.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException(script + " failed:\n" + out);
      }
      Map<String, Path> m = new HashMap<>();
      for (String line : out.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          m.put(line.substring(0, eq), Path.of(line.substring(eq + 1)));
        }
      }
      return m;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
