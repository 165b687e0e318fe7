package dev.vmtask.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The daemon's own character-device node for KVM, the one the device plugin hands to containers.
 * The runtime gives a container the host file's mode, and the host's /dev/kvm is often {@code root
 * 0600} or {@code root:kvm 0660}, which a pod's non-root user cannot open. This node has mode 0666,
 * in a directory only root can enter: on the host only root reaches it, and in a pod only a
 * container that was allocated the device can open it (the device cgroup allows no other).
 */
public final class KvmDeviceNode {
  private KvmDeviceNode() {}

  /** Makes {@code dir/kvm} with the device number of {@code hostDevice}; returns its path. */
  public static Path create(Path hostDevice, Path dir) throws IOException, InterruptedException {
    long rdev = (Long) Files.getAttribute(hostDevice, "unix:rdev");
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    Path node = dir.resolve("kvm");
    Files.deleteIfExists(node);
    Process mknod =
        new ProcessBuilder(
                "mknod",
                "-m",
                "0666",
                node.toString(),
                "c",
                Long.toString(major(rdev)),
                Long.toString(minor(rdev)))
            .redirectErrorStream(true)
            .start();
    String out = new String(mknod.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (mknod.waitFor() != 0) {
      throw new IOException("mknod " + node + " failed: " + out);
    }
    return node;
  }

  /** glibc's gnu_dev_major: the device number's major part. */
  static long major(long rdev) {
    return ((rdev >>> 8) & 0xfffL) | ((rdev >>> 32) & 0xfffff000L);
  }

  /** glibc's gnu_dev_minor. */
  static long minor(long rdev) {
    return (rdev & 0xffL) | ((rdev >>> 12) & 0xffffff00L);
  }
}
