package dev.vmtask.agent.vm;

import java.nio.file.Path;

/** The per-VM files QEMU creates, all in one private directory (mode 0700). */
public record VmFiles(Path dir) {
  public Path qmpSocket() {
    return dir.resolve("qmp.sock");
  }

  public Path vncSocket() {
    return dir.resolve("vnc.sock");
  }

  /** Where QEMU writes a screendump before it is copied to its destination. */
  public Path screendump() {
    return dir.resolve("screen.png");
  }

  public Path pidFile() {
    return dir.resolve("qemu.pid");
  }
}
