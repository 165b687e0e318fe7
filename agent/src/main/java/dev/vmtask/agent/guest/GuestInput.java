package dev.vmtask.agent.guest;

import java.nio.file.Path;

/**
 * A file the guest tools copy to {@code path} before the command runs, served from {@code source}
 * as {@code GET /engine/v1/input?name=}. {@code size} and {@code sha256} are what the guest checks;
 * they are unknown (-1, null) until the agent measured the file.
 */
public record GuestInput(
    String name, String path, Path source, int mode, long size, String sha256) {
  public static final int DEFAULT_MODE = 0644;

  public GuestInput measured(long size, String sha256) {
    return new GuestInput(name, path, source, mode, size, sha256);
  }
}
