package dev.vmtask.node.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Read-only bind mounts with util-linux {@code mount}, which the daemon's image carries. The
 * daemon's kubelet directory is mounted with bidirectional propagation, so a mount made here under
 * a pod's volume directory is the pod's.
 */
class BindMounts {
  /** Mounts {@code source} at {@code target} read-only, no devices, no set-uid, no exec. */
  void bindReadOnly(Path source, Path target) throws IOException {
    run("mount", "--bind", "-o", "ro,nosuid,nodev,noexec", source.toString(), target.toString());
  }

  void unmount(Path target) throws IOException {
    run("umount", target.toString());
  }

  /** Whether {@code path} is a mount point, from /proc/self/mountinfo. */
  boolean isMountPoint(Path path) throws IOException {
    String wanted = path.toAbsolutePath().normalize().toString();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), UTF_8)) {
      String[] fields = line.split(" ");
      if (fields.length > 4 && unescape(fields[4]).equals(wanted)) {
        return true;
      }
    }
    return false;
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  static String unescape(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length()) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static void run(String... command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(command));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " did not finish in 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
    String output = new String(p.getInputStream().readAllBytes(), UTF_8).strip();
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + output);
    }
  }
}
