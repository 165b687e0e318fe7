package dev.vmtask.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The processes of this machine (the testbed's node), read from /proc. A container's command line
 * shows paths inside the container, so a pod's processes are found by their cgroup, which the
 * kubelet names after the pod's uid.
 */
final class NodeProcesses {
  private NodeProcesses() {}

  /** Command lines of the processes in the pod's cgroup. */
  static List<String> ofPod(String podUid) {
    String cgroupfs = "pod" + podUid;
    String systemd = "pod" + podUid.replace('-', '_');
    return commandLines(
        cgroup -> cgroup.contains(cgroupfs) || cgroup.contains(systemd), any -> true);
  }

  /** Command lines containing {@code text}, like {@code pgrep -f}. */
  static List<String> withCommandLineContaining(String text) {
    return commandLines(any -> true, cmdline -> cmdline.contains(text));
  }

  private static List<String> commandLines(
      Predicate<String> cgroupTest, Predicate<String> cmdTest) {
    List<String> found = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        if (Long.parseLong(proc.getFileName().toString()) == self) {
          continue;
        }
        try {
          String cmdline =
              new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                  .replace('\0', ' ')
                  .trim();
          if (!cmdline.isEmpty()
              && cmdTest.test(cmdline)
              && cgroupTest.test(Files.readString(proc.resolve("cgroup")))) {
            found.add(cmdline);
          }
        } catch (IOException gone) {
          // The process ended while being read.
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list /proc", e);
    }
    return found;
  }
}
