package dev.vmtask.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The test guests and the guest agent, built by the scripts in {@code guest/} (each cached by
 * content hash, so the first call builds and later calls only read the paths): the busybox guest
 * ({@code build-test-image.sh}), the static guest agent ({@code build-agent.sh}) and the Debian
 * cloud guest ({@code build-debian-guest.sh}).
 */
public final class GuestTestImage {
  private static final Map<String, Map<String, Path>> outputs = new HashMap<>();

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
    return output("build-test-image.sh", "IMAGE_TAR_ZST", Map.of());
  }

  /** A standalone qcow2 of the same disk. */
  public static Path qcow2() {
    return output("build-test-image.sh", "TEST_QCOW2", Map.of());
  }

  /** The test guest's kernel and initramfs as a bootable ISO 9660 cdrom. */
  public static Path cdrom() {
    return output("build-test-image.sh", "CDROM_ISO", Map.of());
  }

  /** The static guest agent that config drives carry. */
  public static Path agentBinary() {
    return output("build-agent.sh", "GUEST_AGENT", Map.of());
  }

  /** The Debian bookworm cloud guest as a user brings it: cloud-init, nothing of vmtask. */
  public static Path debianQcow2() {
    return debian("DEBIAN_QCOW2");
  }

  /** The same Debian guest with the agent installed the documented way (binary + unit). */
  public static Path debianWithAgentQcow2() {
    return debian("DEBIAN_AGENT_QCOW2");
  }

  private static Path debian(String key) {
    return output(
        "build-debian-guest.sh", key, Map.of("VMTASK_GUEST_AGENT", agentBinary().toString()));
  }

  private static synchronized Path output(String script, String key, Map<String, String> env) {
    Map<String, Path> built = outputs.computeIfAbsent(script, s -> build(s, env));
    Path p = built.get(key);
    if (p == null) {
      throw new IllegalStateException("guest/" + script + " printed no " + key + ": " + built);
    }
    return p;
  }

  private static Map<String, Path> build(String name, Map<String, String> env) {
    Path script = repoRoot().resolve("guest").resolve(name);
    try {
      ProcessBuilder pb =
          new ProcessBuilder("bash", script.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT);
      pb.environment().putAll(env);
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
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
