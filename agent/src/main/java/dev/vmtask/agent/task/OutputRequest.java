package dev.vmtask.agent.task;

import java.nio.file.Path;

/**
 * Package the task's disk as an image archive at {@code file} once its command exited 0 and the
 * guest powered off.
 */
public record OutputRequest(Path file) {
  public OutputRequest {
    if (file == null || !file.isAbsolute() || file.getFileName() == null) {
      throw new IllegalArgumentException("the output must be an absolute file path, got " + file);
    }
  }
}
