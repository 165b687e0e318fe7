package dev.vmtask.agent.task;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host programs a VM run executes, checked before anything starts: a missing one ends the run
 * at once with what to install, instead of a guest that never calls and a boot timeout.
 */
final class HostPrerequisites {
  private HostPrerequisites() {}

  /**
   * @return null when every program is found, else a message naming each missing one and the Debian
   *     package that provides it
   */
  static String missing(String qemuBinary, String path) {
    Map<String, String> programs = new LinkedHashMap<>();
    programs.put(qemuBinary, "qemu-system-x86");
    programs.put("qemu-img", "qemu-utils");
    programs.put("socat", "socat"); // QEMU's guestfwd runs it for each guest connection
    List<String> missing = new ArrayList<>();
    programs.forEach(
        (program, pkg) -> {
          if (!onPath(program, path)) {
            missing.add(program + " (Debian package " + pkg + ")");
          }
        });
    if (missing.isEmpty()) {
      return null;
    }
    return "missing on this host: "
        + String.join(", ", missing)
        + "; install them, e.g. apt-get install qemu-system-x86 qemu-utils socat";
  }

  static boolean onPath(String program, String path) {
    if (program.contains("/")) {
      return Files.isExecutable(Path.of(program));
    }
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
